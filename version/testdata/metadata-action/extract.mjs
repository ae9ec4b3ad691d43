import {execSync} from 'child_process';
import fs from 'fs';
const repo = '/work/.mirror/docker+metadata-action/repo';
const show = p => execSync(`git -C ${repo} show HEAD:${p}`, {maxBuffer: 1<<26}).toString();
const Type = {Schedule:'schedule',Semver:'semver',Pep440:'pep440',Match:'match',Edge:'edge',Ref:'ref',Raw:'raw',Sha:'sha'};
const RefEvent = {Branch:'branch',Tag:'tag',PR:'pr'};
const ShaFormat = {Short:'short',Long:'long'};
const DefaultPriorities = {schedule:'1000',semver:'900',pep440:'900',match:'800',edge:'700',ref:'600',raw:'200',sha:'100'};
function blocks(src) {
  const out = [];
  const re = /describe\('([^']+)'/g; let m;
  const starts = [];
  while ((m = re.exec(src))) starts.push([m[1], m.index]);
  for (let i = 0; i < starts.length; i++) {
    const [name, at] = starts[i];
    const end = i + 1 < starts.length ? starts[i+1][1] : src.length;
    const body = src.slice(at, end);
    const s = body.indexOf('test.each([');
    if (s < 0) continue;
    const e = body.indexOf('\n  ])(', s);
    let arr = body.slice(s + 'test.each('.length, e + 4);
    arr = arr.replace(/ as (Inputs|Version|Flavor|Tag|unknown|string|Array<string>)(\[\])?(?![\w<])/g, '').replace(/\{\} \b/g,'{}');
    // eslint comments fine
    const val = Function('Type','RefEvent','ShaFormat','DefaultPriorities', 'return ' + arr)(Type,RefEvent,ShaFormat,DefaultPriorities);
    out.push([name, val]);
  }
  return out;
}
function parseEnv(text) { const o = {}; for (const l of text.split('\n')) { const i = l.indexOf('='); if (i > 0 && !l.startsWith('#')) o[l.slice(0,i)] = l.slice(i+1); } return o; }
const keepEnv = k => ['GITHUB_EVENT_NAME','GITHUB_REF','GITHUB_SHA','GITHUB_HEAD_REF','GITHUB_BASE_REF','GITHUB_REPOSITORY'].includes(k) || k.startsWith('DOCKER_METADATA_');
function envFixture(file) {
  const env = parseEnv(show(`__tests__/fixtures/${file}`));
  const out = {};
  for (const k of Object.keys(env)) if (keepEnv(k)) out[k] = env[k];
  let payload = {};
  if (env.GITHUB_EVENT_PATH) {
    try { payload = JSON.parse(show(env.GITHUB_EVENT_PATH.replace(/^\.\//,''))); } catch { payload = {}; }
  }
  const p = {};
  if (payload.number !== undefined) p.number = payload.number;
  if (payload.base_ref !== undefined) p.base_ref = payload.base_ref;
  if (payload.repository?.default_branch !== undefined) p.default_branch = payload.repository.default_branch;
  if (payload.pull_request) p.pull_request = {head_sha: payload.pull_request.head?.sha, base_ref: payload.pull_request.base?.ref};
  return {env: out, payload: p};
}
const meta = blocks(show('__tests__/meta.test.ts'));
const src = `docker/metadata-action@dc802804100637a589fabce1cb79ff13a1411302`;
const suites = {};
for (const [name, cases] of meta) {
  if (!['null','push','tag','latest','pr','pr-head-sha','schedule','release','raw'].includes(name)) continue;
  suites[name] = cases.map(c => {
    const [id, envFile, inputs, version, tags, labels, annotations] = c;
    const fx = envFixture(envFile);
    if (name === 'pr-head-sha') fx.env.DOCKER_METADATA_PR_HEAD_SHA = 'true'; // set by that suite's test function
    return {name: id, fixture: envFile, env: fx.env, payload: fx.payload, inputs, version: {main: version.main ?? null, partial: version.partial, latest: !!version.latest}, tags, labels, annotations: annotations ?? labels};
  });
}
const repoFx = JSON.parse(show('__tests__/fixtures/repo.json'));
fs.mkdirSync('out', {recursive: true});
fs.writeFileSync('out/meta.json', JSON.stringify({source: src + ' __tests__/meta.test.ts', repo: {name: repoFx.name, description: repoFx.description, html_url: repoFx.html_url, license: repoFx.license?.spdx_id}, created: '2020-01-10T00:30:00.000Z', suites}, null, 2) + '\n');
const tagT = blocks(show('__tests__/tag.test.ts'));
const tagOut = {};
for (const [name, cases] of tagT) tagOut[name] = cases.map(c => ({input: c[0], expected: c[1], invalid: c[2]}));
fs.writeFileSync('out/tag.json', JSON.stringify({source: src + ' __tests__/tag.test.ts', suites: tagOut}, null, 2) + '\n');
const fl = blocks(show('__tests__/flavor.test.ts'));
const flOut = {};
for (const [name, cases] of fl) flOut[name] = cases.map(c => ({input: c[0], expected: c[1], invalid: c[2]}));
fs.writeFileSync('out/flavor.json', JSON.stringify({source: src + ' __tests__/flavor.test.ts', suites: flOut}, null, 2) + '\n');
for (const [k, v] of Object.entries(suites)) console.log(k, v.length);
for (const [k, v] of Object.entries(tagOut)) console.log('tag', k, v.length);
for (const [k, v] of Object.entries(flOut)) console.log('flavor', k, v.length);
