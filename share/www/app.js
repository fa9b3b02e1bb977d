// imgq upload page: one request per file with a progress bar, then the
// job's live status from its event stream, then its variants as images.
// No framework and no outside resources; every URL is relative to the
// page, so the page also works under a prefix (CGI behind a web server).
'use strict';

(function () {
	var form = document.getElementById('upload');
	var input = document.getElementById('files');
	var list = document.getElementById('list');
	var empty = document.getElementById('empty');
	var tmpl = document.getElementById('item');
	var PARALLEL = 3;	// uploads in flight at once
	var waiting = [];	// items not started yet
	var running = 0;

	// The form works without JavaScript; with it, choosing is uploading.
	document.getElementById('send').hidden = true;
	form.classList.add('js');

	form.addEventListener('submit', function (ev) {
		ev.preventDefault();
		addFiles(input.files);
	});
	input.addEventListener('change', function () {
		addFiles(input.files);
		input.value = '';	// the same file can be chosen again
	});

	// Drag and drop onto the zone; a file dropped elsewhere on the page
	// must not make the browser navigate away to it.
	var depth = 0;
	form.addEventListener('dragenter', function (ev) {
		ev.preventDefault();
		depth++;
		form.classList.add('over');
	});
	form.addEventListener('dragleave', function () {
		if (--depth <= 0) {
			depth = 0;
			form.classList.remove('over');
		}
	});
	form.addEventListener('dragover', function (ev) {
		ev.preventDefault();
		if (ev.dataTransfer)
			ev.dataTransfer.dropEffect = 'copy';
	});
	form.addEventListener('drop', function (ev) {
		ev.preventDefault();
		depth = 0;
		form.classList.remove('over');
		if (ev.dataTransfer)
			addFiles(ev.dataTransfer.files);
	});
	window.addEventListener('dragover', function (ev) { ev.preventDefault(); });
	window.addEventListener('drop', function (ev) { ev.preventDefault(); });

	function addFiles(files) {
		if (!files)
			return;
		for (var i = 0; i < files.length; i++)
			waiting.push(newItem(files[i]));
		pump();
	}

	// The status page of a plain form's upload, and a link to share:
	// ?jobs=ID,ID follows those jobs.
	(function () {
		var m = /[?&]jobs=([0-9a-z,]+)/.exec(window.location.search);
		if (!m)
			return;
		m[1].split(',').filter(function (x) {
			return x.length > 0;
		}).slice(0, 50).forEach(function (id) {
			var it = newItem(null);
			it.bar.hidden = true;
			it.name.textContent = 'Job ' + id;
			it.id = id;
			it.li.setAttribute('data-job', id);
			setState(it, 'queued', 'Loading…');
			follow(it);
		});
	}());

	function pump() {
		while (running < PARALLEL && waiting.length > 0) {
			running++;
			upload(waiting.shift());
		}
	}

	function randomKey() {
		var b = new Uint8Array(16);
		window.crypto.getRandomValues(b);
		return Array.prototype.map.call(b, function (x) {
			return (x + 256).toString(16).slice(1);
		}).join('');
	}

	function humanSize(n) {
		if (n < 1024)
			return n + ' B';
		if (n < 1024 * 1024)
			return (n / 1024).toFixed(1) + ' KiB';
		return (n / 1048576).toFixed(1) + ' MiB';
	}

	function newItem(file) {
		var li = tmpl.content.firstElementChild.cloneNode(true);
		var it = {
			file: file,
			li: li,
			name: li.querySelector('.file-name'),
			bar: li.querySelector('.file-progress'),
			status: li.querySelector('.file-status'),
			variants: li.querySelector('.variants'),
			// A retried upload of the same file sends the same key:
			// the server answers with the same job, stores nothing twice.
			key: randomKey(),
			id: null,
			es: null,
			poll: null,
			state: ''
		};
		it.name.textContent = file ? file.name || '(no name)' : '';
		li.querySelector('.file-size').textContent = file ?
		    humanSize(file.size) : '';
		it.bar.setAttribute('aria-label', 'Upload of ' + it.name.textContent);
		setState(it, 'waiting', 'Waiting to upload');
		list.insertBefore(li, list.firstChild);
		empty.hidden = true;
		return it;
	}

	function setState(it, state, text) {
		it.state = state;
		it.li.setAttribute('data-state', state);
		it.status.textContent = text;
	}

	// The server's own words for a refusal: the "error" or "message" of a
	// JSON body, else the first line of a text body.
	function serverMessage(xhr) {
		var body = xhr.responseText || '';
		try {
			var j = JSON.parse(body);
			if (j && typeof j === 'object') {
				// A refused file of a multipart upload:
				// {"files":[{"status":"refused","error":...}]}.
				var f = Array.isArray(j.files) ? j.files[0] : null;
				var m = j.error || j.message || j.detail ||
				    (f && f.error);
				if (m && typeof m === 'object')
					m = m.message || JSON.stringify(m);
				if (m)
					return String(m);
			}
		} catch (e) { /* not JSON */ }
		body = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
		return body.slice(0, 300);
	}

	function refusal(xhr) {
		var what = {
			400: 'the server could not read the upload',
			404: 'the upload address was not found',
			405: 'the server does not accept uploads here',
			411: 'the upload had no length',
			413: 'the file is too large',
			415: 'not an image type the server accepts',
			429: 'the server is busy',
			431: 'the request headers were too large',
			503: 'the service is unavailable for now'
		}[xhr.status];
		var msg = serverMessage(xhr);
		var text = 'Refused (' + xhr.status + (xhr.statusText ?
		    ' ' + xhr.statusText : '') + ')';
		if (what)
			text += ': ' + what;
		if (msg)
			text += '. Server said: ' + msg;
		return text;
	}

	// The job id of a 202 answer; the shapes recv may use for one file:
	// {"jobs":[{"id":...}]}, {"files":[{"id":...}]} or {"id":...}.
	function jobIdOf(xhr) {
		var j;
		try {
			j = JSON.parse(xhr.responseText);
		} catch (e) {
			return null;
		}
		if (!j || typeof j !== 'object')
			return null;
		var arr = j.jobs || j.files;
		if (Array.isArray(arr) && arr.length > 0) {
			var f = arr[0];
			if (f && f.error)
				return { error: String(f.error) };
			return f && f.id ? { id: String(f.id) } : null;
		}
		return j.id ? { id: String(j.id) } : null;
	}

	function upload(it) {
		var xhr = new XMLHttpRequest();
		var fd = new FormData();
		fd.append('file', it.file, it.file.name);
		xhr.open('POST', 'upload');
		xhr.setRequestHeader('Accept', 'application/json');
		xhr.setRequestHeader('Idempotency-Key', it.key);
		it.bar.hidden = false;
		it.bar.value = 0;
		setState(it, 'uploading', 'Uploading…');
		xhr.upload.onprogress = function (ev) {
			if (ev.lengthComputable && ev.total > 0) {
				var p = Math.floor(100 * ev.loaded / ev.total);
				it.bar.value = p;
				it.status.textContent = 'Uploading… ' + p + '%';
			}
		};
		xhr.upload.onload = function () {
			it.bar.value = 100;
			it.status.textContent = 'Uploaded, storing…';
		};
		xhr.onload = function () {
			finished();
			if (xhr.status >= 200 && xhr.status < 300) {
				var r = jobIdOf(xhr);
				if (!r) {
					failUpload(it, 'The server accepted the file ' +
					    'but its answer named no job', false);
					return;
				}
				if (r.error) {
					failUpload(it, 'Refused: ' + r.error, false);
					return;
				}
				it.bar.hidden = true;
				it.id = r.id;
				it.li.setAttribute('data-job', r.id);
				setState(it, 'queued', 'Queued');
				follow(it);
				return;
			}
			failUpload(it, refusal(xhr),
			    xhr.status === 503 || xhr.status === 429);
		};
		xhr.onerror = function () {
			finished();
			failUpload(it, 'Network error: the upload did not reach ' +
			    'the server', true);
		};
		xhr.ontimeout = xhr.onerror;
		xhr.send(fd);
	}

	function finished() {
		running--;
		pump();
	}

	function failUpload(it, text, retryable) {
		it.bar.hidden = true;
		setState(it, 'refused', text);
		if (!retryable)
			return;
		var b = document.createElement('button');
		b.type = 'button';
		b.className = 'retry';
		b.textContent = 'Try again';
		b.addEventListener('click', function () {
			b.remove();
			waiting.push(it);
			pump();
		});
		it.status.appendChild(document.createTextNode(' '));
		it.status.appendChild(b);
	}

	function jobUrl(it, rest) {
		return 'jobs/' + encodeURIComponent(it.id) + (rest || '');
	}

	// Live status, by the first transport that works: one WebSocket
	// for every job of the page (events/ws, imgq-events(8)), else each
	// job's Server-Sent Events, else polling its record.  ?transport=ws,
	// sse or poll forces one (for tests): no fallback from it then.
	var FORCED = (/[?&]transport=(ws|sse|poll)\b/.exec(
	    window.location.search) || [])[1] || '';
	var ws = null;		// the shared WebSocket, while usable
	var wsItems = {};	// job id -> item followed over it
	var wsBroken = FORCED !== '' && FORCED !== 'ws';
	var wsRetry = 1000;
	var wsTimer = null;	// a reconnect is due

	function follow(it) {
		if (FORCED === 'poll')
			return startPolling(it);
		if (!wsBroken && window.WebSocket)
			return followWs(it);
		if (FORCED === 'sse' || window.EventSource)
			return followSse(it);
		startPolling(it);
	}

	function transport(it, t) {
		it.li.setAttribute('data-transport', t);
	}

	// At most 16 ids a message (imgq-events(8)).
	function wsSend(ids) {
		for (var i = 0; ws && ws.readyState === 1 && i < ids.length;
		    i += 16)
			ws.send(JSON.stringify({ follow: ids.slice(i, i + 16) }));
	}

	function followWs(it) {
		transport(it, 'ws');
		wsItems[it.id] = it;
		if (ws)
			wsSend([it.id]);
		else if (wsTimer === null)
			wsOpen();
	}

	function wsOpen() {
		wsTimer = null;
		var u = new URL('events/ws', window.location.href);
		u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
		ws = new WebSocket(u.href);
		var opened = false;
		ws.onopen = function () {
			opened = true;
			wsRetry = 1000;
			wsSend(Object.keys(wsItems));
		};
		ws.onmessage = function (ev) {
			var m = null;
			try {
				m = JSON.parse(ev.data);
			} catch (e) { /* not ours */ }
			var it = m && m.id ? wsItems[m.id] : null;
			if (!it)
				return;
			if (m.error) {
				delete wsItems[m.id];
				wsLost(it);
			} else if (m.event) {
				applyState(it, String(m.event), m.job &&
				    typeof m.job === 'object' ? reasonOf(m.job) :
				    '');
			}
		};
		ws.onclose = function () {
			var ids = Object.keys(wsItems);
			ws = null;
			// Forced, or this socket worked: connect again (the
			// server catches up on follow); else the server has
			// none, refuses it or is gone: the next transport.
			if (FORCED === 'ws' || opened) {
				if (ids.length > 0)
					wsTimer = setTimeout(wsOpen, wsRetry);
				wsRetry = Math.min(wsRetry * 2, 30000);
				return;
			}
			var lost = wsItems;
			wsBroken = true;
			wsItems = {};
			ids.forEach(function (id) { wsLost(lost[id]); });
		};
	}

	function wsLost(it) {
		if (!it || terminal(it.state))
			return;
		if (FORCED === 'ws')
			fetchRecord(it);
		else if (window.EventSource)
			followSse(it);
		else
			startPolling(it);
	}

	// The job's Server-Sent Events; the record itself is read once the
	// stream is open (a job may finish before we listen) and, should the
	// stream fail, polled instead.
	function followSse(it) {
		transport(it, 'sse');
		var es = new EventSource(jobUrl(it, '/events'));
		it.es = es;
		var onEvent = function (ev) {
			var e = parseEvent(it, ev);
			if (e)
				applyState(it, e.state, e.detail);
		};
		es.onmessage = onEvent;
		['queued', 'active', 'processing', 'retry', 'done', 'dead',
		    'failed', 'state'].forEach(function (n) {
			es.addEventListener(n, onEvent);
		});
		es.onopen = function () {
			fetchRecord(it);
		};
		es.onerror = function () {
			// The server ends the stream after done or dead; anything
			// else is a lost stream: fall back to polling the record
			// (unless SSE is forced: EventSource reconnects itself).
			if (terminal(it.state) || FORCED === 'sse')
				return;
			es.close();
			it.es = null;
			startPolling(it);
		};
	}

	// An event's data: JSON {"state":..., "detail":...} or the queue's
	// text "ID STATE DETAIL" (or "STATE DETAIL"); a named event gives the
	// state by its name.
	function parseEvent(it, ev) {
		var data = typeof ev.data === 'string' ? ev.data : '';
		var state = '';
		var detail = '';
		var j = null;
		try {
			j = JSON.parse(data);
		} catch (e) { /* text */ }
		if (j && typeof j === 'object') {
			state = j.state || j.status || '';
			detail = j.detail || reasonOf(j);
		} else {
			var words = data.trim().split(/\s+/);
			if (words[0] === it.id)
				words.shift();
			if (ev.type !== 'message' && ev.type !== 'state' &&
			    words[0] !== ev.type) {
				state = ev.type;
				detail = words.join(' ');
			} else {
				state = words.shift() || '';
				detail = words.join(' ');
			}
		}
		if (!state && ev.type !== 'message')
			state = ev.type;
		return state ? { state: String(state), detail: String(detail) } :
		    null;
	}

	function terminal(s) {
		return s === 'done' || s === 'dead';
	}

	function stopFollowing(it) {
		if (it.id)
			delete wsItems[it.id];
		if (it.es) {
			it.es.close();
			it.es = null;
		}
		if (it.poll) {
			clearTimeout(it.poll);
			it.poll = null;
		}
	}

	function applyState(it, state, detail) {
		if (terminal(it.state))
			return;	// final: a late event changes nothing
		switch (state) {
		case 'queued':
			setState(it, 'queued', 'Queued');
			break;
		case 'active':
		case 'processing':
			setState(it, 'active', 'Processing…');
			break;
		case 'retry':
			setState(it, 'retry', 'Will retry' +
			    (detail ? ': ' + detail : ''));
			break;
		case 'done':
			setState(it, 'done', 'Done, loading the variants…');
			stopFollowing(it);
			fetchRecord(it);
			break;
		case 'dead':
		case 'failed':
			setState(it, 'dead', 'Failed' + (detail ? ': ' + detail :
			    ''));
			stopFollowing(it);
			if (!detail)
				fetchRecord(it);
			break;
		default:
			break;
		}
	}

	function startPolling(it) {
		var delay = 1000;
		transport(it, 'poll');
		var tick = function () {
			it.poll = null;
			fetchRecord(it, function () {
				if (terminal(it.state))
					return;
				delay = Math.min(delay * 1.5, 10000);
				it.poll = setTimeout(tick, delay);
			});
		};
		tick();
	}

	function getJSON(url, done) {
		var x = new XMLHttpRequest();
		x.open('GET', url);
		x.setRequestHeader('Accept', 'application/json');
		x.onload = function () {
			var j = null;
			if (x.status === 200) {
				try {
					j = JSON.parse(x.responseText);
				} catch (e) { /* j stays null */ }
			}
			done(j, x);
		};
		x.onerror = function () { done(null, x); };
		x.send();
	}

	// Reads the job record; shows the variants when it is done and the
	// reason when it is dead.
	function fetchRecord(it, then) {
		getJSON(jobUrl(it), function (rec) {
			if (rec) {
				if (!it.file && rec.name)
					it.name.textContent = rec.name;
				var wasDone = it.state === 'done';
				var wasDead = it.state === 'dead';
				var reason = reasonOf(rec);
				if (rec.state === 'done') {
					if (!wasDone)
						applyState(it, 'done', '');
					showVariants(it, rec);
				} else if (rec.state === 'dead') {
					if (!wasDead)
						applyState(it, 'dead', reason);
					else if (reason && it.status.textContent ===
					    'Failed')
						it.status.textContent = 'Failed: ' +
						    reason;
				} else if (!terminal(it.state) &&
				    rec.state && rec.state !== it.state) {
					applyState(it, rec.state, reason);
				}
			}
			if (then)
				then();
		});
	}

	// Why a job failed: the queue's reason (how it ended and the first
	// line of its stderr) with the last line its command wrote on
	// standard error when that says more, when the server shows them
	// (to the operator); else its exit status.
	function reasonOf(rec) {
		var tail = lastLine(rec.stderr);
		var err = rec.error ? String(rec.error) : '';
		if (tail && err && err.indexOf(tail) >= 0)
			return err;
		if (tail && err)
			return tail + ' \u2014 ' + err;
		if (!tail && !err && typeof rec.exit === 'number')
			return 'exit status ' + rec.exit;
		if (!tail && !err && typeof rec.signal === 'number')
			return 'killed by signal ' + rec.signal;
		return tail || err || rec.reason || '';
	}

	function lastLine(s) {
		if (!s)
			return '';
		var lines = String(s).trim().split('\n');
		return lines[lines.length - 1];
	}

	// outputs: the keys the worker printed, "processed/<id>/<variant>.<ext>",
	// one per line (or an array).
	function outputsOf(rec) {
		var o = rec.outputs;
		if (!o)
			return [];
		if (!Array.isArray(o))
			o = String(o).split('\n');
		return o.map(function (s) { return String(s).trim(); })
		    .filter(function (s) { return s.length > 0; });
	}

	function showVariants(it, rec) {
		if (it.variants.childElementCount > 0)
			return;
		var keys = outputsOf(rec);
		if (keys.length === 0) {
			setState(it, 'done', 'Done (the job listed no variants)');
			return;
		}
		var n = 0;
		keys.forEach(function (key) {
			var base = key.slice(key.lastIndexOf('/') + 1);
			var dot = base.lastIndexOf('.');
			var variant = dot > 0 ? base.slice(0, dot) : base;
			var ext = dot > 0 ? base.slice(dot + 1) : '';
			var href = jobUrl(it, '/result/' +
			    encodeURIComponent(variant));
			var fig = document.createElement('figure');
			fig.className = 'variant';
			var a = document.createElement('a');
			a.href = href;
			a.target = '_blank';
			a.rel = 'noopener';
			var img = document.createElement('img');
			img.alt = it.name.textContent + ', ' + variant;
			img.loading = 'lazy';
			img.decoding = 'async';
			var cap = document.createElement('figcaption');
			var label = variant + (ext ? ' · ' + ext.toUpperCase() :
			    '');
			cap.textContent = label;
			img.onload = function () {
				cap.textContent = label + ' · ' + img.naturalWidth +
				    '×' + img.naturalHeight;
				fig.classList.add('loaded');
				if (++n === keys.length)
					setState(it, 'done', 'Done');
			};
			img.onerror = function () {
				fig.classList.add('broken');
				cap.textContent = label + ' (could not be shown)';
				setState(it, 'done', 'Done, but a variant could ' +
				    'not be shown');
			};
			img.src = href;
			a.appendChild(img);
			fig.appendChild(a);
			fig.appendChild(cap);
			it.variants.appendChild(fig);
		});
	}
}());
