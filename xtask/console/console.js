// The console's page: one EventSource on /events, one handler per event type. Each event
// is JSON with a `type`; see xtask/src/commands/local/console.rs for who sends what.
"use strict";

const MAX_CARDS = 100; // the oldest cards go: a load test must not fill the browser's memory
const invocations = new Map(); // request id -> the list its log lines go into
const waiting = new Map(); // request id -> log lines that came before their invocation
let previousItems = new Map();
let session = null; // which run of `deploy --local` the page shows

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function json(value) {
  return value === null || value === undefined ? "—" : JSON.stringify(value);
}

function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour12: false });
}

// Newest first; the empty-list hint goes once something arrives. A card that goes takes
// its invocation's entry with it.
function addCard(listId, card) {
  const list = $(listId);
  list.prepend(card);
  while (list.children.length > MAX_CARDS) {
    invocations.delete(list.lastElementChild.dataset.requestId);
    list.lastElementChild.remove();
  }
  const empty = $(listId + "-empty");
  if (empty) empty.hidden = true;
}

// A card's log lines: those that came before it, then each one as it comes.
function logList(requestId) {
  const lines = element("ol", "lines");
  if (requestId) {
    invocations.set(requestId, lines);
    for (const line of (waiting.get(requestId) || { lines: [] }).lines) lines.append(logLine(line));
    waiting.delete(requestId);
  }
  return lines;
}

function logLine(text) {
  const level = (text.match(/^\s*(ERROR|WARN|INFO|DEBUG|TRACE)\b/) || [])[1];
  return element("li", level ? "level-" + level : "", text);
}

const handlers = {
  hello(event) {
    // Another deployment answered (a restart on the same port): its story, from the start.
    if (session && event.session !== session) {
      location.reload();
      return;
    }
    session = event.session;
    $("step").textContent = event.step;
    document.title = event.step + " · local console";
    const routes = $("routes");
    routes.replaceChildren(
      ...event.routes.map((r) => element("li", "", r.route + " → " + r.function)),
    );
    $("stream-summary").textContent = "stream " + event.stream;
    $("table-name").textContent = event.table;
    if (event.api) {
      for (const node of document.querySelectorAll(".api-url")) node.textContent = event.api;
    }
  },

  request(event) {
    const card = element("li", "card request status-" + String(event.status)[0]);
    const head = element("div", "head");
    head.append(
      element("strong", "", event.method + " " + event.path),
      element("span", "code", String(event.status)),
      element("span", "function", event.function ? "→ " + event.function : "no function"),
      element("span", "time", event.ms + " ms · " + clock(event.at)),
    );
    card.dataset.requestId = event.requestId || "";
    card.append(head, logList(event.requestId));
    addCard("requests", card);
  },

  batch(event) {
    const labels = { done: "done", retry: "retried", split: "split", skipped: "skipped", lost: "lost" };
    const card = element("li", "card batch next-" + event.next);
    const head = element("div", "head");
    const count = event.records.length;
    head.append(
      element("strong", "", event.function),
      element("span", "tag next-" + event.next, labels[event.next] || event.next),
      element("span", "", count + (count === 1 ? " record" : " records")),
      element("span", "time", event.ms + " ms · " + clock(event.at)),
    );
    const failures = event.answer.failures || [];
    const records = element("ol", "records");
    for (const record of event.records) {
      const failed = failures.includes(record.seq);
      // Handled once already: it comes again only because it is in the same batch as a
      // failed one (Lambda retries from the failed record on), and is kept with it.
      const again = !failed && handled.has(record.seq);
      const row = element("li", "record" + (failed ? " failed" : again ? " again" : ""));
      row.dataset.seq = record.seq;
      const change = element("span", "change");
      change.textContent = json(record.keys) + ": " + json(record.old) + " → " + json(record.new);
      if (failed) change.append(element("span", "failure", "  reported as failed"));
      if (again) change.append(element("span", "again", "  came again with the failed one"));
      row.append(element("span", "event event-" + record.event, record.event), change);
      records.append(row);
    }
    if (!event.answer.error) {
      for (const record of event.records) {
        if (!failures.includes(record.seq)) handled.add(record.seq);
      }
      if (handled.size > 100000) handled.clear();
    }
    const answer = event.answer.error
      ? element("p", "answer error", "the function failed: " + event.answer.error)
      : element("p", "answer", failures.length
        ? "answered: " + failures.length + " reported as failed"
        : "answered: ok");
    if (event.kept) head.append(element("span", "tag kept", "kept in " + event.kept));
    card.dataset.requestId = event.requestId || "";
    card.append(head, records, answer, element("p", "story", event.line), logList(event.requestId));
    addCard("batches", card);
  },

  log(event) {
    const lines = event.requestId && invocations.get(event.requestId);
    if (lines) {
      lines.append(logLine(event.line));
    } else if (event.requestId) {
      // The function logs while it runs; its card comes when it has answered.
      const entry = waiting.get(event.requestId) || { lines: [], fn: event.function, since: Date.now() };
      entry.lines.push(event.line);
      waiting.set(event.requestId, entry);
    } else {
      other(event.function + " | " + event.line);
    }
  },


  // `cargo xtask failures --replay`: the cards of the records replayed say what became of them.
  replay(event) {
    const sequences = new Set(event.sequences);
    for (const card of document.querySelectorAll(".card.batch")) {
      const rows = [...card.querySelectorAll(".record")];
      const tag = card.querySelector(".tag.kept");
      if (!tag || !rows.some((row) => sequences.has(row.dataset.seq))) continue;
      tag.textContent = tag.textContent.split(" · ")[0]
        + (event.handled ? " · replayed: handled" : " · replayed: still failing");
      tag.classList.toggle("replayed", event.handled);
    }
  },

  queue(event) {
    $("queue-name").textContent = event.queue;
    $("queue").replaceChildren(...event.messages.map((message) => {
      const info = message.DDBStreamBatchInfo || {};
      const range = info.startSequenceNumber === info.endSequenceNumber
        ? "sequence " + info.startSequenceNumber
        : "sequences " + info.startSequenceNumber + ".." + info.endSequenceNumber;
      return element("li", "", message.timestamp + " " + message.requestContext.condition
        + ": " + info.batchSize + (info.batchSize === 1 ? " record, " : " records, ") + range);
    }));
    $("queue-empty").hidden = event.messages.length > 0;
  },

  table(event) {
    const rows = event.items.map((item) => {
      const { id, ...rest } = item;
      const row = element("tr");
      row.append(element("td", "", json(id)), element("td", "", json(rest)));
      return [JSON.stringify(id), JSON.stringify(item), row];
    });
    // A changed row flashes, when a few changed: under load the flashes would keep the
    // page painting all the time, and tell nothing.
    const changed = rows.filter(([id, text]) => previousItems.size && previousItems.get(id) !== text);
    if (changed.length <= 3) for (const [, , row] of changed) row.className = "changed";
    previousItems = new Map(rows.map(([id, text]) => [id, text]));
    document.querySelector("#items tbody").replaceChildren(...rows.map(([, , row]) => row));
    $("items-empty").hidden = event.items.length > 0;
    $("items-more").hidden = !event.more;
  },
};

// Lines of an invocation that never got a card within 3 s (an invocation by `check`, say)
// go to the other lines.
setInterval(() => {
  const now = Date.now();
  for (const [requestId, entry] of waiting) {
    if (now - entry.since < 3000) continue;
    for (const line of entry.lines) other(entry.fn + " | " + line);
    waiting.delete(requestId);
  }
}, 1000);

function other(text) {
  const list = $("other");
  list.append(logLine(text));
  while (list.children.length > MAX_CARDS) list.firstElementChild.remove();
}

function connect() {
  const source = new EventSource("/events");
  const status = $("status");
  source.onopen = () => {
    status.textContent = "live: updates as you use the service";
    status.className = "status live";
  };
  source.onerror = () => {
    // The browser retries a dropped connection by itself, not a refused one (too many pages).
    status.textContent = source.readyState === EventSource.CLOSED
      ? "not connected: the console refused this page (too many open?). Close some, then reload."
      : "not connected: is `cargo xtask deploy --local` still running? Retrying…";
    status.className = "status down";
  };
  source.onmessage = (message) => {
    queue.push(message.data);
    if (!scheduled) {
      scheduled = true;
      setTimeout(render, 250);
    }
  };
}

// Events are drawn at most four times a second, and of what came in a quarter of a second
// (a load test) only the cards that would stay: the page costs the machine less, whatever
// the service's pace. (Log lines of a skipped card that came in an earlier quarter wait
// for it, then go to the other lines.)
const queue = [];
let scheduled = false;
const skipped = new Set(); // request ids of invocations whose cards were never drawn
const handled = new Set(); // sequence numbers of records a batch has handled

function render() {
  scheduled = false;
  const events = queue.splice(0).map((data) => JSON.parse(data));
  // First the cards that will not stay (all but the last MAX_CARDS of each kind), so that
  // their log lines in this quarter, which come before them, are not drawn either.
  const left = { request: 0, batch: 0 };
  for (const event of events) if (event.type in left) left[event.type] += 1;
  const drawn = events.map((event) => !(event.type in left) || left[event.type]-- <= MAX_CARDS);
  events.forEach((event, index) => {
    if (!drawn[index] && event.requestId) skipped.add(event.requestId);
  });
  const lastTable = events.map((event) => event.type).lastIndexOf("table");
  events.forEach((event, index) => {
    if (!drawn[index] || (event.type === "table" && index !== lastTable)) return;
    if (event.type === "log" && skipped.has(event.requestId)) return;
    const handle = handlers[event.type];
    if (handle) handle(event);
  });
  if (skipped.size > 10000) skipped.clear();
}

connect();
