// Round-trip BPMN/DMN files through the moddle libraries Camunda Modeler is built on
// (bpmn-moddle + camunda-bpmn-moddle, dmn-moddle + camunda-dmn-moddle): read each file
// as the Modeler reads it and write it back as the Modeler's "Save" does.
//
// usage: node moddle_roundtrip.mjs OUT_DIR FILE...
// Writes OUT_DIR/<basename> for every FILE and prints one JSON line per file:
// {"file": ..., "out": ..., "warnings": [...], "untyped": [...]}: warnings are what moddle could
// not read; untyped lists attributes and elements it kept only as opaque text because no
// schema it knows defines them (the Modeler's properties panel cannot show or edit those).
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';

import { BpmnModdle } from 'bpmn-moddle';
import { DmnModdle } from 'dmn-moddle';

const require = createRequire(import.meta.url);
const camundaBpmn = require('camunda-bpmn-moddle/resources/camunda.json');
const camundaDmn = require('camunda-dmn-moddle/resources/camunda.json');

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node moddle_roundtrip.mjs OUT_DIR FILE...');
  process.exit(2);
}

for (const file of files) {
  const xml = await readFile(file, 'utf8');
  const isDmn = file.endsWith('.dmn');
  const moddle = isDmn ? new DmnModdle({ camunda: camundaDmn }) : new BpmnModdle({ camunda: camundaBpmn });
  const root = isDmn ? 'dmn:Definitions' : 'bpmn:Definitions';
  const { rootElement, warnings } = await moddle.fromXML(xml, root);
  const { xml: saved } = await moddle.toXML(rootElement, { format: true });
  const untyped = [];
  collectUntyped(rootElement, untyped, new Set());
  const out = join(outDir, basename(file));
  await writeFile(out, saved, 'utf8');
  console.log(JSON.stringify({ file, out, warnings: warnings.map((w) => w.message), untyped }));
}

function collectUntyped(element, found, seen) {
  if (!element || typeof element !== 'object' || seen.has(element)) {
    return;
  }
  seen.add(element);
  const where = element.id || element.$type;
  for (const name of Object.keys(element.$attrs || {})) {
    // namespace declarations, xsi:type (moddle keeps it aside) and the Modeler's own
    // modeler:executionPlatform* (read by the Modeler app, not by a moddle schema) are fine
    if (name !== 'xmlns' && !/^(xmlns|modeler):/.test(name) && name !== 'xsi:type') {
      found.push(`attribute ${name} on ${where}`);
    }
  }
  if (element.$descriptor && element.$descriptor.isGeneric) {
    found.push(`element ${element.$type} in ${where}`);
  }
  for (const property of (element.$descriptor ? element.$descriptor.properties : [])) {
    if (property.isReference) {
      continue;
    }
    const value = element.get(property.name);
    for (const child of Array.isArray(value) ? value : [ value ]) {
      collectUntyped(child, found, seen);
    }
  }
  if (element.$children) {
    for (const child of element.$children) {
      collectUntyped(child, found, seen);
    }
  }
}
