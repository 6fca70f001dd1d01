/**
 * What a PromQL expression reads, parsed with Prometheus' own grammar (`@prometheus-io/lezer-promql`,
 * the parser of Prometheus' web UI): every vector selector with its label matchers, and every
 * `by (…)` / `on (…)` grouping with the selectors beneath it. The label test checks each of them
 * against what a real Prometheus scraped from the running processes.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

export interface LabelMatcher {
  label: string;
  op: string;
  value: string;
}

export interface VectorSelector {
  metric: string;
  matchers: LabelMatcher[];
  /** The selector as written, e.g. `up{namespace="x"}`. */
  text: string;
}

/** A `by (…)` or `on (…)` clause: the labels it names must exist on what flows into it. */
export interface Grouping {
  kind: 'by' | 'on';
  labels: string[];
  /** Selectors feeding the grouped expression (both sides, for `on`). */
  selectors: VectorSelector[];
  /** Labels written by a `label_replace` beneath it. */
  introduced: string[];
  text: string;
}

export interface ParsedExpression {
  selectors: VectorSelector[];
  groupings: Grouping[];
}

/** Parses `expr`; throws with the position of the first syntax error. */
export function parsePromql(expr: string): ParsedExpression {
  const top = parser.parse(expr).topNode;
  const error = findFirst(top, (n) => n.type.isError);
  if (error) throw new Error(`PromQL syntax error at ${error.from} in: ${expr}`);
  const selectors: VectorSelector[] = [];
  const groupings: Grouping[] = [];
  walk(top, (node) => {
    if (node.name === 'VectorSelector') selectors.push(vectorSelector(node, expr));
    else if (node.name === 'AggregateExpr') {
      const modifier = node.getChild('AggregateModifier');
      if (modifier?.getChild('By')) groupings.push(grouping('by', modifier, node, expr));
    } else if (node.name === 'BinaryExpr') {
      const clause = node.getChild('MatchingModifierClause');
      if (clause?.getChild('On')) groupings.push(grouping('on', clause, node, expr));
    }
  });
  return { selectors, groupings };
}

function grouping(kind: Grouping['kind'], clause: SyntaxNode, scope: SyntaxNode, expr: string): Grouping {
  const labels = labelNames(clause.getChild('GroupingLabels'), expr);
  const selectors: VectorSelector[] = [];
  const introduced: string[] = [];
  walk(scope, (node) => {
    if (node.name === 'VectorSelector') selectors.push(vectorSelector(node, expr));
    if (node.name === 'FunctionCall' && text(node.getChild('FunctionIdentifier'), expr) === 'label_replace') {
      const target = stringArguments(node, expr)[0];
      if (target) introduced.push(target);
    }
  });
  return { kind, labels, selectors, introduced, text: text(scope, expr) };
}

function vectorSelector(node: SyntaxNode, expr: string): VectorSelector {
  const matchers: LabelMatcher[] = [];
  const list = node.getChild('LabelMatchers');
  for (let m = list?.firstChild; m; m = m.nextSibling) {
    if (m.name !== 'UnquotedLabelMatcher') continue;
    const value = m.getChild('StringLiteral');
    matchers.push({
      label: text(m.getChild('LabelName'), expr),
      op: text(m.getChild('MatchOp'), expr),
      value: value ? (JSON.parse(text(value, expr).replace(/^'|'$/g, '"')) as string) : '',
    });
  }
  return { metric: text(node.getChild('Identifier'), expr), matchers, text: text(node, expr) };
}

function labelNames(node: SyntaxNode | null, expr: string): string[] {
  const names: string[] = [];
  for (let c = node?.firstChild; c; c = c.nextSibling) if (c.name === 'LabelName') names.push(text(c, expr));
  return names;
}

/** String literals among a function call's direct arguments, in order. */
function stringArguments(call: SyntaxNode, expr: string): string[] {
  const body = call.getChild('FunctionCallBody');
  const strings: string[] = [];
  walk(body, (n) => {
    if (n.name === 'StringLiteral' && n.parent?.parent === body) strings.push(JSON.parse(text(n, expr)) as string);
  });
  // Arguments sit directly in the body in some grammar versions and in an argument list in others.
  if (!strings.length) {
    for (let c = body?.firstChild; c; c = c.nextSibling) {
      for (let a = c.firstChild; a; a = a.nextSibling) if (a.name === 'StringLiteral') strings.push(JSON.parse(text(a, expr)) as string);
      if (c.name === 'StringLiteral') strings.push(JSON.parse(text(c, expr)) as string);
    }
  }
  return strings;
}

function walk(node: SyntaxNode | null | undefined, visit: (n: SyntaxNode) => void): void {
  if (!node) return;
  visit(node);
  for (let c = node.firstChild; c; c = c.nextSibling) walk(c, visit);
}

function findFirst(node: SyntaxNode, test: (n: SyntaxNode) => boolean): SyntaxNode | undefined {
  if (test(node)) return node;
  for (let c = node.firstChild; c; c = c.nextSibling) {
    const found = findFirst(c, test);
    if (found) return found;
  }
  return undefined;
}

function text(node: SyntaxNode | null | undefined, expr: string): string {
  return node ? expr.slice(node.from, node.to) : '';
}
