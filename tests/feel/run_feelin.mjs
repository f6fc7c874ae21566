// Differential-test runner: reads the FEEL conformance rows (JSON array) on stdin,
// evaluates each with feelin (the bpmn-io FEEL interpreter) and prints a JSON array of
// {id, value, error} on stdout.  Typed values in rows are {"@date"|"@datetime"|"@time"|
// "@duration": "<ISO text>"}; typed results are printed as {"@type": <FeelX class>, "value": <ISO>}.
import { evaluate, unaryTest } from 'feelin';

const CONSTRUCTORS = { '@date': 'date', '@datetime': 'date and time', '@time': 'time', '@duration': 'duration' };

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && CONSTRUCTORS[keys[0]]) {
      return evaluate(`${CONSTRUCTORS[keys[0]]}(${JSON.stringify(value[keys[0]])})`).value;
    }
    return Object.fromEntries(keys.map(k => [ k, decode(value[k]) ]));
  }
  return value;
}

function encode(value) {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') {
    const type = value.constructor && value.constructor.name;
    if (type && type.startsWith('Feel')) return { '@type': type, value: String(value) };
    return Object.fromEntries(Object.keys(value).map(k => [ k, encode(value[k]) ]));
  }
  return value;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const rows = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = rows.map(row => {
  try {
    const context = decode(row.context || {});
    const result = row.kind === 'unary'
      ? unaryTest(row.text, { ...context, '?': decode(row.input) })
      : evaluate(row.text, context);
    return { id: row.id, value: encode(result.value), error: null };
  } catch (err) {
    return { id: row.id, value: null, error: String(err && err.message || err) };
  }
});

process.stdout.write(JSON.stringify(results));
