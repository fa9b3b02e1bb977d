// imgq dashboard: the queue at a glance from GET api/stats, refreshed every
// few seconds while the page is visible; dead letters can be requeued
// (POST api/dead/<id>/requeue).  URLs are relative to the page.  The API
// is the operator's: without the session cookie it answers 401 and the
// page shows the sign-in form, which trades the token for the cookie
// (POST signin).  Requests that change state carry X-Imgq-CSRF.
'use strict';

(function () {
	var EVERY = 3000;	// ms between refreshes
	var timer = null;
	var last = {};		// section -> JSON last drawn (redraw on change only)
	var $ = function (id) { return document.getElementById(id); };
	// A job's states (imgq(7), job.h) and what the page calls them;
	// tests/unit/test_job.c checks these names against job.h.
	var STATES = {
		queued: 'queued', active: 'processing', retry: 'retry',
		done: 'done', dead: 'failed'
	};

	// The first of several names a field may have, for forward
	// compatibility with small changes in the server's JSON.
	function pick(o, names) {
		for (var i = 0; i < names.length; i++) {
			if (o && o[names[i]] !== undefined && o[names[i]] !== null)
				return o[names[i]];
		}
		return undefined;
	}

	function num(v) {
		if (Array.isArray(v))
			return v.length;
		return typeof v === 'number' ? v :
		    (v !== undefined && v !== '' && !isNaN(+v) ? +v : undefined);
	}

	function setNum(id, v) {
		var n = num(v);
		$(id).textContent = n === undefined ? '–' :
		    (Math.round(n * 10) / 10).toLocaleString();
	}

	function ago(ms) {
		if (ms === undefined || ms === null || isNaN(ms))
			return '';
		ms = Math.max(0, ms);
		if (ms < 1000)
			return 'just now';
		var s = Math.round(ms / 1000);
		if (s < 60)
			return s + ' s ago';
		if (s < 3600)
			return Math.round(s / 60) + ' min ago';
		if (s < 86400)
			return Math.round(s / 3600) + ' h ago';
		return Math.round(s / 86400) + ' d ago';
	}

	// A time field: ms since the epoch (number or digits) or ISO text.
	function when(v, now) {
		if (v === undefined || v === null || v === '')
			return '';
		var t = typeof v === 'number' || /^\d+$/.test(String(v)) ? +v :
		    Date.parse(String(v));
		if (isNaN(t))
			return String(v);
		if (t < 1e11)
			t *= 1000;	// seconds
		return ago(now - t);
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function cell(tr, label, cls, content) {
		var td = el('td', cls);
		if (label)
			td.setAttribute('data-label', label);
		if (content instanceof Node)
			td.appendChild(content);
		else if (content !== undefined)
			td.textContent = content;
		tr.appendChild(td);
		return td;
	}

	function jobUrl(id, rest) {
		return 'jobs/' + encodeURIComponent(id) + (rest || '');
	}

	function outputsOf(j) {
		var o = j.outputs;
		if (!o)
			return [];
		if (!Array.isArray(o))
			o = String(o).split('\n');
		return o.map(function (s) { return String(s).trim(); })
		    .filter(function (s) { return s; });
	}

	function variantOf(key) {
		var b = key.slice(key.lastIndexOf('/') + 1);
		var d = b.lastIndexOf('.');
		return d > 0 ? b.slice(0, d) : b;
	}

	// The smallest variant makes the thumbnail: one named like a thumbnail,
	// else the last one listed.
	function thumbOf(j) {
		var keys = outputsOf(j);
		if (keys.length === 0)
			return null;
		var k = keys.filter(function (x) {
			return /thumb|small|sm\b/i.test(variantOf(x));
		})[0] || keys[keys.length - 1];
		return jobUrl(j.id, '/result/' + encodeURIComponent(variantOf(k)));
	}

	function changed(section, data) {
		var s = JSON.stringify(data);
		if (last[section] === s)
			return false;
		last[section] = s;
		return true;
	}

	function show(listId, emptyId, wrapId, n) {
		$(emptyId).hidden = n > 0;
		$(wrapId).hidden = n === 0;
	}

	function drawWorkers(ws) {
		if (!changed('workers', ws))
			return;
		var tb = $('workers');
		tb.textContent = '';
		ws.forEach(function (w) {
			if (typeof w !== 'object')
				w = { name: String(w) };
			var tr = el('tr');
			cell(tr, 'Worker', 'mono', String(pick(w,
			    ['name', 'consumer', 'id']) || '?'));
			var age = num(pick(w, ['beat_age_ms', 'heartbeat_age_ms',
			    'age_ms']));
			cell(tr, 'Last heartbeat', 'num', age === undefined ? '' :
			    ago(age));
			var h = num(pick(w, ['holding', 'jobs', 'active']));
			cell(tr, 'Jobs held', 'num', h === undefined ? '' :
			    String(h));
			tb.appendChild(tr);
		});
		show('workers', 'w-empty', 'w-wrap', ws.length);
	}

	function statePill(s) {
		var text = Object.prototype.hasOwnProperty.call(STATES, s) ?
		    STATES[s] : s || '?';
		return el('span', 'pill ' + (s || ''), text);
	}

	function drawRecent(js, now) {
		if (!changed('recent', js))
			return;
		var tb = $('recent');
		tb.textContent = '';
		js.forEach(function (j) {
			var tr = el('tr');
			var name = String(pick(j, ['name', 'src']) || j.id);
			var t = thumbOf(j);
			var box;
			if (t) {
				box = el('a');
				box.href = t;
				box.target = '_blank';
				box.rel = 'noopener';
				var img = el('img', 'thumb');
				img.alt = name;
				img.loading = 'lazy';
				img.src = t;
				box.appendChild(img);
			} else {
				box = el('span', 'thumb');
				box.setAttribute('aria-hidden', 'true');
			}
			cell(tr, '', 'cell-thumb', box);
			cell(tr, 'File', '', name);
			var st = cell(tr, 'State', '', statePill(j.state));
			var why = pick(j, ['error', 'reason']);
			if (why && j.state !== 'done')
				st.appendChild(el('div', 'muted', String(why)));
			var a = el('a', 'mono', j.id);
			a.href = jobUrl(j.id);
			cell(tr, 'Job', '', a);
			cell(tr, 'When', 'num', when(pick(j, ['finished', 'started',
			    'created', 'queued']), now));
			tb.appendChild(tr);
		});
		show('recent', 'r-empty', 'r-wrap', js.length);
	}

	function drawDead(ds, now) {
		if (!changed('dead', ds))
			return;
		var tb = $('dead');
		tb.textContent = '';
		ds.forEach(function (d) {
			var tr = el('tr');
			var nameBox = el('div');
			nameBox.appendChild(el('div', '', String(pick(d,
			    ['name', 'src']) || d.id)));
			var a = el('a', 'mono', d.id);
			a.href = jobUrl(d.id);
			nameBox.appendChild(a);
			cell(tr, 'File', '', nameBox);
			// The queue's reason: how the command ended and the
			// first line of its stderr (imgq(7)); below it, the
			// tool's last words when they say something more.
			var reason = String(pick(d, ['error', 'reason']) || '');
			var tail = pick(d, ['stderr']);
			tail = tail ? String(tail).trim().split('\n').pop() : '';
			var rc = cell(tr, 'Reason', 'reason', reason || tail ||
			    'no reason recorded');
			if (reason && tail && reason.indexOf(tail) < 0)
				rc.appendChild(el('div', 'muted', tail));
			var code = pick(d, ['exit', 'exit_code']);
			var sig = pick(d, ['signal']);
			if ((code !== undefined && code !== '' && code !== '-1') ||
			    (sig && sig !== '0')) {
				rc.appendChild(el('div', 'muted', sig && sig !==
				    '0' ? 'signal ' + sig : 'exit ' + code));
			}
			cell(tr, 'Attempts', 'num', String(pick(d, ['attempts']) ||
			    ''));
			cell(tr, 'Died', 'num', when(pick(d, ['died', 'when_ms',
			    'when', 'finished', 'settled']), now));
			var b = el('button', 'secondary', 'Requeue');
			b.type = 'button';
			b.setAttribute('aria-label', 'Requeue ' + String(pick(d,
			    ['name']) || d.id));
			b.addEventListener('click', function () {
				requeue(d.id, b);
			});
			cell(tr, '', '', b);
			tb.appendChild(tr);
		});
		show('dead', 'd-empty', 'd-wrap', ds.length);
	}

	function problem(text) {
		var p = $('problem');
		p.hidden = !text;
		p.textContent = text || '';
	}

	function messageOf(x) {
		try {
			var j = JSON.parse(x.responseText);
			if (j && (j.error || j.message))
				return String(j.error || j.message);
		} catch (e) { /* text */ }
		return (x.responseText || '').trim().slice(0, 200) ||
		    (x.status ? 'HTTP ' + x.status : 'no answer');
	}

	function requeue(id, button) {
		button.disabled = true;
		button.textContent = 'Requeuing…';
		var x = new XMLHttpRequest();
		x.open('POST', 'api/dead/' + encodeURIComponent(id) + '/requeue');
		x.setRequestHeader('Accept', 'application/json');
		x.setRequestHeader('X-Imgq-CSRF', '1');
		x.onload = function () {
			if (x.status === 401) {
				signedOut(true);
				return;
			}
			if (x.status >= 200 && x.status < 300) {
				button.textContent = 'Requeued';
				problem('');
				$('notice').hidden = false;
				$('notice').textContent = 'Job ' + id +
				    ' is back in the queue.';
				refresh();
				return;
			}
			button.disabled = false;
			button.textContent = 'Requeue';
			problem('Requeue of ' + id + ' refused (' + x.status +
			    '): ' + messageOf(x));
		};
		x.onerror = function () {
			button.disabled = false;
			button.textContent = 'Requeue';
			problem('Requeue of ' + id + ' failed: no answer from ' +
			    'the server');
		};
		x.send();
	}

	function arr(v) {
		return Array.isArray(v) ? v : [];
	}

	// The chart: one sample per refresh, the last hour of them, kept
	// for the tab's session so a reload does not blank it.
	var HOUR = 3600000;
	var KEEP = 'imgq-chart';
	var samples = (function () {
		try {
			var v = JSON.parse(window.sessionStorage.getItem(KEEP));
			return Array.isArray(v) ? v.filter(function (x) {
				return x && typeof x.t === 'number';
			}) : [];
		} catch (e) {
			return [];
		}
	}());

	function record(now, depth, rate, dead) {
		samples.push({ t: now, depth: num(depth), rate: num(rate),
		    dead: num(dead) });
		samples = samples.filter(function (x) {
			return x.t > now - HOUR && x.t <= now;
		});
		try {
			window.sessionStorage.setItem(KEEP,
			    JSON.stringify(samples));
		} catch (e) { /* storage full or off: the chart still draws */ }
	}

	// Failures per minute: how much the dead count grew over the minute
	// before each sample (a requeue lowers it: never below zero).
	function failures(i) {
		var x = samples[i], j = i;
		while (j > 0 && samples[j - 1].t >= x.t - 60000)
			j--;
		if (x.dead === undefined || samples[j].dead === undefined)
			return undefined;
		return Math.max(0, x.dead - samples[j].dead);
	}

	function svg(tag, attrs) {
		var e = document.createElementNS('http://www.w3.org/2000/svg',
		    tag);
		Object.keys(attrs).forEach(function (k) {
			e.setAttribute(k, String(attrs[k]));
		});
		return e;
	}

	var SERIES = ['depth', 'rate', 'failures'];

	function drawChart(now) {
		var W = 600, H = 180, box = $('chart');
		var vals = samples.map(function (x, i) {
			return { t: x.t, depth: x.depth, rate: x.rate,
			    failures: failures(i) };
		});
		var max = 1;
		vals.forEach(function (v) {
			SERIES.forEach(function (k) {
				if (v[k] !== undefined && v[k] > max)
					max = v[k];
			});
		});
		while (box.lastChild && box.lastChild.nodeName !== 'desc')
			box.removeChild(box.lastChild);
		[0.25, 0.5, 0.75].forEach(function (f) {
			box.appendChild(svg('line', { 'class': 'grid', x1: 0,
			    x2: W, y1: H * f, y2: H * f }));
		});
		SERIES.forEach(function (k) {
			var pts = vals.filter(function (v) {
				return v[k] !== undefined;
			}).map(function (v) {
				var x = (v.t - (now - HOUR)) / HOUR * W;
				var y = H - v[k] / max * (H - 4) - 2;
				return x.toFixed(1) + ',' + y.toFixed(1);
			});
			box.appendChild(svg('polyline', { 'class': k,
			    'data-series': k, 'data-points': pts.length,
			    points: pts.join(' ') }));
		});
		$('c-max').textContent = 'Scale: 0 to ' + max.toLocaleString() +
		    ', ' + vals.length + ' samples';
	}

	function draw(s) {
		var q = s.queue && typeof s.queue === 'object' ? s.queue : s;
		var now = num(pick(s, ['now_ms', 'now'])) || Date.now();
		setNum('n-queued', pick(q, ['queued', 'depth']));
		setNum('n-active', pick(q, ['active']));
		setNum('n-delayed', pick(q, ['delayed', 'retry']));
		var deadList = arr(pick(s, ['dead_jobs', 'dead_letters',
		    'deadletters'])).concat(Array.isArray(s.dead) ? s.dead : []);
		setNum('n-dead', typeof q.dead === 'number' ? q.dead :
		    deadList.length);
		var ws = pick(s, ['workers', 'consumers_list']);
		var wc = pick(q, ['consumers', 'workers']);
		setNum('n-workers', typeof wc === 'number' ? wc : arr(ws).length);
		setNum('n-rate', pick(q, ['jobs_per_minute', 'per_minute',
		    'done_last_minute']));
		// The per-worker table only when the server lists them.
		var wl = Array.isArray(ws) ? ws : (Array.isArray(wc) ? wc : null);
		$('w-section').hidden = wl === null;
		if (wl !== null)
			drawWorkers(wl);
		record(Date.now(), pick(q, ['queued', 'depth']), pick(q,
		    ['jobs_per_minute', 'per_minute', 'done_last_minute']),
		    typeof q.dead === 'number' ? q.dead : deadList.length);
		drawChart(Date.now());
		drawRecent(arr(pick(s, ['recent', 'recent_jobs', 'jobs'])), now);
		drawDead(deadList, now);
	}

	// Without a session: the form instead of the figures.
	function signedOut(out) {
		$('signin').hidden = !out;
		$('board').hidden = out;
		$('updated').textContent = out ? 'Signed out.' : 'Loading…';
		if (out)
			$('token').focus();
	}

	$('signin').addEventListener('submit', function (ev) {
		ev.preventDefault();
		var x = new XMLHttpRequest();
		x.open('POST', 'signin');
		x.setRequestHeader('Content-Type',
		    'application/x-www-form-urlencoded');
		x.setRequestHeader('X-Imgq-CSRF', '1');
		x.onload = function () {
			if (x.status >= 200 && x.status < 300) {
				$('token').value = '';
				problem('');
				signedOut(false);
				refresh();
				feedRestart(true);
			} else {
				problem('Sign-in refused (' + x.status + '): ' +
				    messageOf(x));
			}
		};
		x.onerror = function () {
			problem('Sign-in failed: no answer from the server');
		};
		x.send('token=' + encodeURIComponent($('token').value));
	});

	$('signout').addEventListener('click', function () {
		var x = new XMLHttpRequest();
		x.open('POST', 'signout');
		x.setRequestHeader('X-Imgq-CSRF', '1');
		x.onload = function () {
			if ((x.status >= 200 && x.status < 300) || x.status === 401) {
				if (timer) {
					clearTimeout(timer);
					timer = null;
				}
				feedRestart(false);
				signedOut(true);
			} else {
				problem('Sign-out refused (' + x.status + '): ' +
				    messageOf(x));
			}
		};
		x.send();
	});

	function refresh() {
		if (timer) {
			clearTimeout(timer);
			timer = null;
		}
		var x = new XMLHttpRequest();
		x.open('GET', 'api/stats');
		x.setRequestHeader('Accept', 'application/json');
		x.timeout = 10000;
		var next = function () {
			if (!document.hidden)
				timer = setTimeout(refresh, feed ? EVERY * 5 :
				    EVERY);
		};
		x.onload = function () {
			var s = null;
			if (x.status === 401) {
				signedOut(true);
				return;
			}
			if (x.status === 200) {
				try {
					s = JSON.parse(x.responseText);
				} catch (e) { /* s stays null */ }
			}
			if (s && typeof s === 'object') {
				problem('');
				draw(s);
				$('updated').textContent = 'Updated ' +
				    new Date().toLocaleTimeString() + '.';
			} else {
				problem('The statistics could not be read (' +
				    x.status + '): ' + messageOf(x));
			}
			next();
		};
		x.onerror = x.ontimeout = function () {
			problem('No answer from the server; trying again.');
			next();
		};
		x.send();
	}

	// Live: the operators' feed of every job event over a WebSocket
	// (events/ws?feed=1, imgq-events(8)) refreshes the figures when
	// something happens, at most once a second; without it (no event
	// server, or ?transport=sse or poll) the timer alone does.
	var feed = null;
	var feedWait = 1000;
	var feedDue = null;
	var feedWanted = true;	// not after sign-out
	function feedOpen() {
		if (!feedWanted || !window.WebSocket ||
		    /[?&]transport=(sse|poll)\b/.test(window.location.search))
			return;
		var u = new URL('events/ws?feed=1', window.location.href);
		u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
		var w = new WebSocket(u.href);
		w.onopen = function () {
			feed = w;
			feedWait = 1000;
			$('board').setAttribute('data-live', 'ws');
		};
		w.onmessage = function () {
			if (feedDue === null)
				feedDue = setTimeout(function () {
					feedDue = null;
					refresh();
				}, 1000);
		};
		w.onclose = function () {
			var was = feed === w;
			feed = null;
			$('board').removeAttribute('data-live');
			// Once worked: try again later; never worked: no feed.
			if (was && feedWanted) {
				setTimeout(feedOpen, feedWait);
				feedWait = Math.min(feedWait * 2, 60000);
			}
		};
	}

	// The feed is the operator's: opened again with the new cookie after
	// a sign-in, closed at sign-out.
	function feedRestart(on) {
		feedWanted = on;
		if (feed)
			feed.close();
		else
			feedOpen();
	}

	document.addEventListener('visibilitychange', function () {
		if (!document.hidden)
			refresh();
	});
	refresh();
	feedOpen();
}());
