import { expect } from 'chai';
import { BatonError } from '../../../shared/errors';
import { isJsonText, MAX_JSON_DEPTH, parseJsonBody, RawJson, stringifyJson } from '../../../coordinator/http/json-text';

function refusal(text: string): string {
  try {
    parseJsonBody(text, new Set(['payload']));
  } catch (err: unknown) {
    expect(err).to.be.instanceOf(BatonError);
    return (err as BatonError).message;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 40))} to be refused`);
}

describe('json-text: strict JSON with payloads kept as written', () => {
  it('parses what JSON.parse does, into objects without a prototype', () => {
    const samples = ['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9\\/"], "b": {}}', '[]', '"s"', ' 0 ', '{"__proto__": {"x": 1}}'];
    for (const text of samples) expect(JSON.stringify(parseJsonBody(text))).to.equal(JSON.stringify(JSON.parse(text)));
    const parsed = parseJsonBody('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).to.equal(null);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('keeps the exact text of a payload, big numbers and duplicate keys inside it included', () => {
    const body = '{"type": "t", "payload": {"id": 12345678901234567890, "big": 1e400, "k": 1, "k": 2}}';
    const parsed = parseJsonBody(body, new Set(['payload'])) as Record<string, unknown>;
    expect(parsed.payload).to.be.instanceOf(RawJson);
    expect((parsed.payload as RawJson).text).to.equal('{"id": 12345678901234567890, "big": 1e400, "k": 1, "k": 2}');
    expect(stringifyJson({ task: { payload: parsed.payload, n: 1 } })).to.equal('{"task":{"payload":{"id": 12345678901234567890, "big": 1e400, "k": 1, "k": 2},"n":1}}');
  });

  it('refuses duplicate keys outside payloads, deep nesting and every malformed text, saying where', () => {
    expect(refusal('{"type": "a", "type": "b"}')).to.equal('body: not valid JSON: the key "type" appears twice in one object (position 14)');
    expect(refusal(`${'['.repeat(MAX_JSON_DEPTH + 2)}${']'.repeat(MAX_JSON_DEPTH + 2)}`)).to.equal(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(refusal('{"type": "add",')).to.equal('body: not valid JSON: expected a key in double quotes at position 15, found the end of the body');
    expect(refusal('{"a": 01}')).to.match(/expected "," or "}" at position 7/);
    expect(refusal('{"a": "tab\there"}')).to.match(/no control character inside a string/);
    expect(refusal('{"a": "\\x"}')).to.match(/expected an escape/);
    expect(refusal('{"a": "\\u12"}')).to.match(/four hex digits/);
    expect(refusal("{'a': 1}")).to.match(/expected a key in double quotes at position 1/);
    expect(refusal('[1, 2,]')).to.match(/expected a JSON value at position 6/);
    expect(refusal('{} {}')).to.match(/expected the end of the body at position 3/);
    expect(refusal('NaN')).to.match(/expected a JSON value at position 0/);
    expect(refusal('')).to.match(/expected a JSON value at position 0, found the end of the body/);
  });

  it('tells JSON text from anything else, for payloads stored with a JSON content type', () => {
    expect(isJsonText('{"a": [1, {"b": null}]}')).to.equal(true);
    expect(isJsonText('"just a string"')).to.equal(true);
    expect(isJsonText('{"k": 1, "k": 2}')).to.equal(true);
    expect(isJsonText('{"a": 1')).to.equal(false);
    expect(isJsonText(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)).to.equal(false);
  });

  it('writes a client\'s string that looks like a marker as the string it is', () => {
    const text = stringifyJson({ a: '\u0000nonce:0\u0000', b: new RawJson('[1]', undefined) });
    expect(JSON.parse(text)).to.deep.equal({ a: '\u0000nonce:0\u0000', b: [1] });
  });
});
