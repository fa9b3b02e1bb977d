// chart.mjs: the dashboard's chart of the last hour, in Debian's chromium
// driven by playwright-core.  The page's history (sessionStorage) is
// seeded with an hour of known samples, one of them hostile text, and
// api/stats is answered here with known figures (so no sign-in is
// needed), so the SVG is checked against the data: three series, their
// scale and last points.  The operators' feed
// (events/ws?feed=1, imgq-events(8)) is answered here too: one event must
// make the page refresh.  Prints TAP.
//
//   node chart.mjs [-w SECONDS] URL
//
// Exit status: 0 when every check passed, 1 when one failed, 2 on bad
// usage or when the browser could not be started.
import { die, run, tap } from './lib.mjs';

const usage = 'usage: chart.mjs [-w SECONDS] URL';
const args = process.argv.slice(2);
let waitS = 60;
const rest = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '-w' && i + 1 < args.length)
		waitS = Number(args[++i]);
	else if (args[i].startsWith('-'))
		die(usage);
	else
		rest.push(args[i]);
}
if (rest.length !== 1 || !(waitS > 0))
	die(usage);
const [url] = rest;
const ok = tap.ok.bind(tap);

// The answer of api/stats: depth 12 is the highest figure of the hour.
const stats = { depth: 12, active: 1, delayed: 0, dead: 9, done: 40,
    workers: 1, jobs_per_minute: 4, recent: [], dead_jobs: [] };

tap.plan(5);
await run('chart.mjs', async (page, jsErrors) => {
	let reads = 0;
	await page.route(/\/api\/stats$/, (r) => {
		reads++;
		r.fulfill({ status: 200, contentType: 'application/json',
		    body: JSON.stringify(stats) });
	});
	let feed = null;
	await page.routeWebSocket(/\/events\/ws\?feed=1$/, (ws) => {
		feed = ws;
	});
	// Minute i of the hour: depth i % 10, 5 jobs a minute, one more
	// dead letter every ten minutes; minute 30's depth is hostile text.
	await page.addInitScript(() => {
		const now = Date.now(), v = [];
		for (let i = 1; i < 60; i++)
			v.push({ t: now - (60 - i) * 60000, depth: i === 30 ?
			    '<svg onload=alert(1)>' : i % 10, rate: 5,
			    dead: Math.floor(i / 10) });
		if (!sessionStorage.getItem('imgq-chart'))
			sessionStorage.setItem('imgq-chart', JSON.stringify(v));
	});
	await page.goto(url, { waitUntil: 'load' });
	await page.waitForFunction(() => /^Updated /.test(
	    document.getElementById('updated').textContent), null,
	    { timeout: waitS * 1000, polling: 200 });

	const chart = () => page.$eval('#chart', (svg) => ({
		series: [...svg.querySelectorAll('polyline')].map((p) => ({
			name: p.getAttribute('data-series'),
			points: p.getAttribute('points').split(' ')
			    .filter((x) => x),
		})),
		tags: [...svg.querySelectorAll('*')].map((e) => e.localName),
		on: [...svg.querySelectorAll('*')].some((e) =>
		    [...e.attributes].some((a) => /^on/i.test(a.name))),
		scale: document.getElementById('c-max').textContent,
	}));
	const c = await chart();
	const names = c.series.map((s) => s.name).join(' ');
	const n = c.series.map((s) => s.points.length);
	ok(names === 'depth rate failures' && n[0] >= 59 && n[1] >= 60 &&
	    n[2] >= 60, 'three series: queue depth, jobs per minute, ' +
	    'failures per minute, one point a sample',
	    `${names}: ${n.join(' ')} points`);
	// 600 x 180, 2 units of margin: 12 of 12 is at y 2.0, 4 at 119.3,
	// one failure a minute at 163.3; the newest sample at the right.
	const last = (s) => s.points[s.points.length - 1].split(',');
	const [dx, dy] = c.series[0] ? last(c.series[0]) : [0, 0];
	const [, ry] = c.series[1] ? last(c.series[1]) : [0, 0];
	ok(/^Scale: 0 to 12,/.test(c.scale) && dy === '2.0' &&
	    ry === '119.3' && Number(dx) > 590 && c.series[2] &&
	    c.series[2].points.some((p) => p.endsWith(',163.3')),
	    'the points are the data, on the scale of the highest figure',
	    `${c.scale}; depth ${dx},${dy}; rate y ${ry}; failures ` +
	    `${c.series[2] ? c.series[2].points.slice(-12).join(' ') : ''}`);
	ok(!c.on && c.tags.every((t) => ['desc', 'line', 'polyline']
	    .includes(t)), 'hostile text in the history draws nothing',
	    c.tags.join(' '));

	// The feed: live once open, and one event brings a refresh.
	let live = true;
	try {
		await page.waitForFunction(() => document.getElementById(
		    'board').dataset.live === 'ws', null,
		    { timeout: waitS * 1000, polling: 100 });
	} catch (e) {
		live = false;
	}
	await page.waitForTimeout(3500);	// the timer's refresh, if due
	const before = reads;
	if (feed)
		feed.send(JSON.stringify({ event: 'job', job: { id: 'x',
		    state: 'done', detail: '' } }));
	await page.waitForTimeout(2500);
	ok(live && feed && reads === before + 1, 'the operators\' WebSocket feed ' +
	    'makes the page live; an event refreshes the figures',
	    `live ${live}, feed ${!!feed}, reads ${before} then ${reads}`);
	ok(jsErrors.length === 0, 'no script error on the page',
	    jsErrors.join('\n'));
});
