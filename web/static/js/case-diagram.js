/* The case's process diagram, as Camunda Cockpit shows it: bpmn-js NavigatedViewer
   with the current activities, the overdue ones and the completed ones marked.
   An active call activity offers its called process's diagram, marked the same way.
   The data comes from the case's diagram.json (same origin, access-checked). */
(function () {
  "use strict";
  var container = document.getElementById("diagram");
  var status = document.getElementById("diagram-status");
  var drill = document.getElementById("diagram-called");
  if (!container || typeof window.BpmnJS !== "function") {
    if (status) { status.textContent = "流程图组件未能加载。"; }
    return;
  }
  var source = container.getAttribute("data-source");
  var viewer = new window.BpmnJS({ container: container });

  function badge(kind, text) {
    var span = document.createElement("span");
    span.className = "diagram-badge " + kind;
    span.textContent = text;
    return span;
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function skipped(element) {
    // An expanded sub-process is "active" while any activity inside it is; marking the
    // whole box would hide the activity that matters.  Boundary events wait on their
    // activity; Cockpit does not mark them either.
    return element.type === "bpmn:Process" || element.type === "bpmn:Participant" ||
      element.type === "bpmn:BoundaryEvent" ||
      (element.type === "bpmn:SubProcess" && element.children && element.children.length > 0);
  }

  function mark(data) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var shown = { current: 0, overdue: 0, first: null, calls: [] };
    (data.completed || []).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "marker-done"); }
    });
    var overdue = {};
    (data.overdue || []).forEach(function (id) { overdue[id] = true; });
    (data.active || []).forEach(function (id) {
      var element = registry.get(id);
      if (!element || skipped(element)) { return; }
      canvas.removeMarker(id, "marker-done");
      var late = overdue[id] === true;
      canvas.addMarker(id, late ? "marker-overdue" : "marker-current");
      overlays.add(id, { position: { bottom: 8, right: 12 }, html: badge(late ? "overdue" : "current", late ? "超期" : "当前") });
      shown[late ? "overdue" : "current"] += 1;
      shown.first = shown.first || element;
      var called = element.type === "bpmn:CallActivity" && element.businessObject.calledElement;
      if (called) { shown.calls.push({ key: called, name: element.businessObject.name || called }); }
    });
    return shown;
  }

  function show(called) {
    status.textContent = "正在加载流程图…";
    container.removeAttribute("data-rendered");
    var url = called ? source + "?called=" + encodeURIComponent(called) : source;
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        return viewer.importXML(data.xml).then(function () {
          var canvas = viewer.get("canvas");
          canvas.zoom("fit-viewport", "auto");
          var shown = mark(data);
          if (shown.first && canvas.zoom() < 0.7) {
            // A large process fitted to the box is unreadable: show the current activity.
            var box = canvas.viewbox().outer, scale = 0.8;
            var width = box.width / scale, height = box.height / scale;
            canvas.viewbox({ x: shown.first.x + shown.first.width / 2 - width / 2,
                             y: shown.first.y + shown.first.height / 2 - height / 2, width: width, height: height });
          }
          offer(called, shown.calls);
          container.setAttribute("data-rendered", called || "main");
          status.textContent = "当前环节 " + (shown.current + shown.overdue) + " 个" +
            (shown.overdue ? "，其中超期 " + shown.overdue + " 个" : "") + "。可拖动和滚轮缩放。";
        });
      })
      .catch(function (error) {
        status.textContent = "流程图加载失败：" + error.message;
      });
  }

  function offer(called, calls) {
    if (!drill) { return; }
    while (drill.firstChild) { drill.removeChild(drill.firstChild); }
    if (called) {
      drill.appendChild(button("返回主流程", function () { show(null); }));
    }
    calls.forEach(function (call) {
      drill.appendChild(button("查看子流程：" + call.name, function () { show(call.key); }));
    });
  }

  show(null);
})();
