#!/usr/bin/env node
/**
 * Modeler check: reads process models the way Camunda Modeler 5 (Camunda 7 flavour) reads them.
 *
 *   node tests/modeler/check.mjs workflows/a.bpmn workflows/b.bpmn ...
 *
 * Each file is checked by the checker registered for its extension (see CHECKERS below).
 *
 * BPMN (.bpmn):
 *   1. import  - bpmn-moddle + camunda-bpmn-moddle `fromXML`; every import warning is a failure
 *                (unknown attributes/elements, unresolved references, unparsable content), and so is any
 *                attribute or element from a namespace neither moddle package knows (moddle keeps those
 *                silently; only the Modeler's own `modeler:` namespace and `xsi:` are allowed).
 *   2. diagram - every flow node and sequence flow (recursively, sub-processes included) has a
 *                BPMNShape (with bounds) / BPMNEdge (with >= 2 waypoints) in the diagram interchange.
 *   3. lint    - bpmnlint with `bpmnlint:recommended`; error-level reports fail, warnings are printed.
 *
 * DMN (.dmn):
 *   1. import  - dmn-moddle + camunda-dmn-moddle `fromXML`; every import warning is a failure, and so is
 *                content from a namespace neither package knows (as for BPMN).
 *   2. diagram - every decision has a DMNShape with bounds in the DMNDI (the Modeler's DRD view draws it).
 *   3. feel    - @bpmn-io/feel-lint (`lintExpression`, the Modeler's FEEL linter) on every input entry
 *                (as unary tests), input expression and output entry (as expressions) of every decision
 *                table, and on every literal expression decision; any finding, error or warning, fails.
 *                Empty cells are allowed (`-`/null).
 *
 * Output: ONE JSON document on stdout (the summary); human-readable findings on stderr.
 * Exit code: 0 when every file passes, 1 when any check fails, 2 on usage errors.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

import { BpmnModdle } from 'bpmn-moddle';
import { DmnModdle } from 'dmn-moddle';
import { lintExpression } from '@bpmn-io/feel-lint';

const require = createRequire(import.meta.url);

const camundaDescriptor = require('camunda-bpmn-moddle/resources/camunda.json');
const camundaDmnDescriptor = require('camunda-dmn-moddle/resources/camunda.json');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

/** bpmnlint configuration applied to every BPMN file. */
const LINT_CONFIG = { extends: 'bpmnlint:recommended' };

/**
 * Namespaces that Camunda Modeler writes but no moddle package describes. Attributes from these are
 * allowed; anything else from an unregistered namespace is reported.
 */
const ALLOWED_FOREIGN_NAMESPACES = new Set([
  'http://camunda.org/schema/modeler/1.0', // modeler:executionPlatform, modeler:executionPlatformVersion
  'http://www.w3.org/2001/XMLSchema-instance' // xsi:type (moddle resolves it, but keeps the raw attribute)
]);


// BPMN ////////////////////////////////////////////////////////////////////////////////////////////

/**
 * Import `xml` with `moddle` as `rootType`; record every import warning and every element or attribute of
 * a namespace the moddle does not know in `result`. Returns the definitions, or null (result not ok).
 */
async function importModel(moddle, xml, rootType, result) {
  try {
    const { rootElement, warnings } = await moddle.fromXML(xml, rootType);
    result.import.warnings = warnings.map(formatImportWarning);
    result.import.warnings.push(...findForeignContent(moddle, rootElement));
    return rootElement;
  } catch (err) {
    result.import.warnings.push({ message: `import failed: ${err.message}` });
    result.ok = false;
    return null;
  }
}

async function checkBpmn(file, xml) {
  const result = {
    file,
    kind: 'bpmn',
    ok: true,
    import: { warnings: [] },
    diagram: { missing: [], invalid: [] },
    lint: { errors: [], warnings: [] }
  };

  const moddle = new BpmnModdle({ camunda: camundaDescriptor });

  const definitions = await importModel(moddle, xml, 'bpmn:Definitions', result);
  if (!definitions) return result;

  const { missing, invalid } = checkDiagramInterchange(definitions);
  result.diagram.missing = missing;
  result.diagram.invalid = invalid;

  const linter = new Linter({
    resolver: new NodeResolver({ require })
  });
  const reports = await linter.lint(definitions, LINT_CONFIG);

  for (const [ rule, ruleReports ] of Object.entries(reports)) {
    for (const report of ruleReports) {
      const entry = { rule, id: report.id, message: report.message };
      if (report.category === 'error' || report.category === 'rule-error') {
        result.lint.errors.push(entry);
      } else {
        result.lint.warnings.push({ ...entry, category: report.category });
      }
    }
  }

  result.ok = (
    result.import.warnings.length === 0 &&
    result.diagram.missing.length === 0 &&
    result.diagram.invalid.length === 0 &&
    result.lint.errors.length === 0
  );

  return result;
}

function formatImportWarning(warning) {
  return {
    message: warning.message.split('\n')[0],
    element: warning.element && warning.element.id || undefined,
    property: warning.property || undefined,
    detail: warning.message.includes('\n') ? warning.message.split('\n').slice(1).map(s => s.trim()).join('; ') : undefined
  };
}

/**
 * moddle accepts attributes and elements of namespaces it has no descriptor for without a warning
 * (attributes land in `$attrs`, elements become generic "any" elements). Report them.
 */
function findForeignContent(moddle, definitions) {
  const knownUris = new Set(moddle.getPackages().map(pkg => pkg.uri));
  const findings = [];
  const seen = new Set();

  function namespaceOf(element, prefix) {
    for (let el = element; el; el = el.$parent) {
      const uri = el.$attrs && el.$attrs[`xmlns:${prefix}`];
      if (uri) {
        return uri;
      }
    }
    return undefined;
  }

  function visit(element, owner) {
    if (!element || typeof element !== 'object' || seen.has(element)) {
      return;
    }
    seen.add(element);

    const descriptor = element.$descriptor || {};

    if (descriptor.isGeneric) {
      findings.push({
        message: `unknown element <${element.$type}> (namespace ${descriptor.ns && descriptor.ns.uri || 'none'})`,
        element: owner && owner.id
      });
      return;
    }

    for (const name of Object.keys(element.$attrs || {})) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        continue;
      }
      const prefix = name.includes(':') ? name.split(':')[0] : null;
      const uri = prefix ? namespaceOf(element, prefix) : null;

      // unprefixed and registered-namespace leftovers were already warned about by moddle
      if (!prefix || knownUris.has(uri) || ALLOWED_FOREIGN_NAMESPACES.has(uri)) {
        continue;
      }
      findings.push({
        message: `unknown attribute <${name}> (namespace ${uri || 'undeclared'})`,
        element: element.id
      });
    }

    for (const key of Object.keys(element)) {
      if (key.startsWith('$')) {
        continue;
      }
      const value = element[key];
      const children = Array.isArray(value) ? value : [ value ];
      for (const child of children) {
        if (child && typeof child === 'object' && child.$type) {
          visit(child, element.id ? element : owner);
        }
      }
    }
  }

  visit(definitions, null);
  return findings;
}

/**
 * Every flow node and sequence flow must be drawn: a BPMNShape with bounds, a BPMNEdge with waypoints.
 */
function checkDiagramInterchange(definitions) {
  const drawn = new Map();

  for (const diagram of definitions.diagrams || []) {
    const plane = diagram.plane;
    for (const di of (plane && plane.planeElement) || []) {
      if (di.bpmnElement) {
        drawn.set(di.bpmnElement, di);
      }
    }
  }

  const missing = [];
  const invalid = [];

  function visitContainer(container) {
    for (const element of container.flowElements || []) {
      const isFlow = element.$instanceOf('bpmn:SequenceFlow');
      const isNode = element.$instanceOf('bpmn:FlowNode');

      if (isFlow || isNode) {
        const di = drawn.get(element);
        const expected = isFlow ? 'bpmndi:BPMNEdge' : 'bpmndi:BPMNShape';

        if (!di) {
          missing.push({ id: element.id, type: element.$type, expected });
        } else if (di.$type !== expected) {
          invalid.push({ id: element.id, message: `drawn as ${di.$type}, expected ${expected}` });
        } else if (isFlow && (di.waypoint || []).length < 2) {
          invalid.push({ id: element.id, message: 'edge has fewer than 2 waypoints' });
        } else if (isNode && !di.bounds) {
          invalid.push({ id: element.id, message: 'shape has no dc:Bounds' });
        }
      }

      if (element.$instanceOf('bpmn:SubProcess')) {
        visitContainer(element);
      }
    }
  }

  for (const root of definitions.rootElements || []) {
    if (root.$instanceOf('bpmn:Process')) {
      visitContainer(root);
    }
  }

  return { missing, invalid };
}


// DMN /////////////////////////////////////////////////////////////////////////////////////////////

async function checkDmn(file, xml) {
  const result = {
    file,
    kind: 'dmn',
    ok: true,
    import: { warnings: [] },
    diagram: { missing: [], invalid: [] },
    feel: { findings: [] }
  };

  const moddle = new DmnModdle({ camunda: camundaDmnDescriptor });

  const definitions = await importModel(moddle, xml, 'dmn:Definitions', result);
  if (!definitions) return result;

  const { missing, invalid } = checkDecisionShapes(definitions);
  result.diagram.missing = missing;
  result.diagram.invalid = invalid;

  result.feel.findings = lintDecisionTables(definitions);

  result.ok = (
    result.import.warnings.length === 0 &&
    result.diagram.missing.length === 0 &&
    result.diagram.invalid.length === 0 &&
    result.feel.findings.length === 0
  );

  return result;
}

/**
 * Every decision must be drawn in the DRD: a DMNShape with bounds.
 */
function checkDecisionShapes(definitions) {
  const drawn = new Map();

  const dmnDI = definitions.dmnDI;
  for (const diagram of (dmnDI && dmnDI.diagrams) || []) {
    for (const di of diagram.diagramElements || []) {
      if (di.dmnElementRef) {
        drawn.set(di.dmnElementRef, di);
      }
    }
  }

  const missing = [];
  const invalid = [];

  for (const element of definitions.drgElement || []) {
    if (!element.$instanceOf('dmn:Decision')) {
      continue;
    }
    const di = drawn.get(element);
    if (!di) {
      missing.push({ id: element.id, type: element.$type, expected: 'dmndi:DMNShape' });
    } else if (di.$type !== 'dmndi:DMNShape') {
      invalid.push({ id: element.id, message: `drawn as ${di.$type}, expected dmndi:DMNShape` });
    } else if (!di.bounds) {
      invalid.push({ id: element.id, message: 'shape has no dc:Bounds' });
    }
  }

  return { missing, invalid };
}

/**
 * FEEL in every decision table: input expressions and output entries are expressions, input entries are
 * unary tests; a literal expression decision is one expression. Returns one finding per lint message.
 */
function lintDecisionTables(definitions) {
  const findings = [];

  function lint(decision, element, cell, text, dialect) {
    if (!text || !text.trim()) {
      return;
    }
    for (const message of lintExpression(text, { dialect })) {
      findings.push({
        decision: decision.id,
        element,
        cell,
        text,
        severity: message.severity,
        message: `${message.type}: ${message.message}`
      });
    }
  }

  for (const decision of definitions.drgElement || []) {
    const table = decision.decisionLogic;
    if (decision.$instanceOf('dmn:Decision') && table && table.$instanceOf('dmn:LiteralExpression')) {
      lint(decision, table.id || decision.id, 'literal expression', table.text, 'expression');
      continue;
    }
    if (!decision.$instanceOf('dmn:Decision') || !table || !table.$instanceOf('dmn:DecisionTable')) {
      continue;
    }
    for (const input of table.input || []) {
      lint(decision, input.id, 'input expression', input.inputExpression && input.inputExpression.text,
        'expression');
    }
    for (const rule of table.rule || []) {
      (rule.inputEntry || []).forEach((entry, index) => {
        lint(decision, rule.id, `input entry ${index + 1}`, entry.text, 'unaryTests');
      });
      (rule.outputEntry || []).forEach((entry, index) => {
        lint(decision, rule.id, `output entry ${index + 1}`, entry.text, 'expression');
      });
    }
  }

  return findings;
}


// dispatch ////////////////////////////////////////////////////////////////////////////////////////

/** File extension → checker. Files with an extension not listed here fail the run. */
const CHECKERS = {
  '.bpmn': checkBpmn,
  '.dmn': checkDmn
};

async function checkFile(file) {
  const ext = path.extname(file).toLowerCase();
  const checker = CHECKERS[ext];

  if (!checker) {
    return { file, kind: ext.slice(1) || 'unknown', ok: false, error: `no checker for "${ext}" files` };
  }

  let xml;
  try {
    xml = await readFile(file, 'utf8');
  } catch (err) {
    return { file, kind: ext.slice(1), ok: false, error: `cannot read: ${err.message}` };
  }

  try {
    return await checker(file, xml);
  } catch (err) {
    return { file, kind: ext.slice(1), ok: false, error: `checker crashed: ${err.stack || err}` };
  }
}

function printHuman(result) {
  const out = (line) => process.stderr.write(line + '\n');
  out(`${result.ok ? 'PASS' : 'FAIL'} ${result.file}`);

  if (result.error) {
    out(`  error: ${result.error}`);
  }
  for (const w of (result.import && result.import.warnings) || []) {
    out(`  import: ${w.message}${w.element ? ` [${w.element}]` : ''}${w.detail ? ` (${w.detail})` : ''}`);
  }
  for (const m of (result.diagram && result.diagram.missing) || []) {
    out(`  diagram: ${m.id} (${m.type}) has no ${m.expected}`);
  }
  for (const m of (result.diagram && result.diagram.invalid) || []) {
    out(`  diagram: ${m.id}: ${m.message}`);
  }
  for (const e of (result.lint && result.lint.errors) || []) {
    out(`  lint error ${e.rule}: ${e.message}${e.id ? ` [${e.id}]` : ''}`);
  }
  for (const w of (result.lint && result.lint.warnings) || []) {
    out(`  lint ${w.category} ${w.rule}: ${w.message}${w.id ? ` [${w.id}]` : ''}`);
  }
  for (const f of (result.feel && result.feel.findings) || []) {
    out(`  feel ${f.severity} [${f.decision} / ${f.element}, ${f.cell}] ${f.message}: ${f.text}`);
  }
}

async function main(argv) {
  const files = argv.filter(arg => !arg.startsWith('-'));

  if (!files.length) {
    process.stderr.write('usage: node check.mjs <file.bpmn> [<file.bpmn|file.dmn> ...]\n');
    return 2;
  }

  const results = [];
  for (const file of files) {
    const result = await checkFile(file);
    printHuman(result);
    results.push(result);
  }

  const summary = {
    ok: results.every(r => r.ok),
    checked: results.length,
    failed: results.filter(r => !r.ok).map(r => r.file),
    lint_config: LINT_CONFIG,
    files: results
  };

  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');

  return summary.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
