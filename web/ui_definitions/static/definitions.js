// Renders a definition version with the bpmn-js viewer and marks added/changed elements.
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  if (!container || typeof BpmnJS === 'undefined') { return; }
  var markers = JSON.parse(container.getAttribute('data-markers') || '{}');
  var viewer = new BpmnJS({ container: container });
  fetch(container.getAttribute('data-xml-url'), { credentials: 'same-origin' })
    .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport');
      [['added', 'diff-added'], ['changed', 'diff-changed']].forEach(function (pair) {
        (markers[pair[0]] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
        });
      });
    })
    .catch(function (err) {
      container.textContent = '流程图无法显示：' + err.message;
      container.className += ' diagram-error';
    });
}());
