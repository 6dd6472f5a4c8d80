// The ToolMaster viewer. Data come from data.js (window.TOOLMASTER_VIEW) and, for an opened
// episode, from episodes/<n>.js (toolmasterEpisode(n, {...})). Every value from the data is put
// into the page as text (textContent, Text nodes, attribute values), never parsed as markup.
// The state (filters, search, the opened episode) lives in the URL's hash, so a view can be
// shared as a link.
"use strict";

(function () {
  const DATA = window.TOOLMASTER_VIEW;
  const FILTERS = ["run", "suite", "setting", "mode", "policy", "verdict"];
  const PAGE = 200;
  const details = new Map();
  let shown = PAGE;

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...nodes(children));
    return node;
  }

  // Nodes from children nested in arrays: strings become Text nodes, null and undefined nothing.
  function nodes(children) {
    return children
      .flat(Infinity)
      .filter((child) => child !== null && child !== undefined)
      .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
  }

  function fill(id, ...children) {
    const node = document.getElementById(id);
    node.replaceChildren(...nodes(children));
    return node;
  }

  function cell(value) {
    const numeric = typeof value === "string" && /^([-+]?[\d.]+%?|[-+]?\d[\d.]*-[\d.]+|-|<[\d.]+|\[.*\])$/.test(value);
    return el("td", { class: numeric ? "num" : null }, value);
  }

  function readState() {
    const params = new URLSearchParams(location.hash.slice(1));
    const filters = {};
    for (const name of FILTERS) {
      const value = params.get(name);
      if (value !== null && value !== "") filters[name] = value;
    }
    const episode = params.get("episode");
    return {
      filters,
      search: params.get("q") || "",
      episode: episode !== null && /^\d+$/.test(episode) ? Number(episode) : null,
    };
  }

  function hashOf(state) {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      if (state.filters[name]) params.set(name, state.filters[name]);
    }
    if (state.search) params.set("q", state.search);
    if (state.episode !== null) params.set("episode", String(state.episode));
    return "#" + params.toString();
  }

  function matches(keys, filters) {
    return Object.entries(filters).every(([name, value]) => !(name in keys) || keys[name] === value);
  }

  function visibleEpisodes(state) {
    const needle = state.search.toLowerCase();
    return DATA.episodes.filter(
      (row) =>
        matches(row, state.filters) &&
        (!needle ||
          row.task.toLowerCase().includes(needle) ||
          row.prompt.toLowerCase().includes(needle) ||
          row.id.startsWith(needle)),
    );
  }

  function number(value, digits) {
    return value === null || value === undefined ? "-" : value.toFixed(digits);
  }

  function table(columns, rows) {
    const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c))));
    const body = el(
      "tbody",
      {},
      rows.map((cells) => el("tr", {}, cells.map(cell))),
    );
    return el("table", {}, head, body);
  }

  function empty(text) {
    return el("p", { class: "empty" }, text);
  }

  // ------------------------------------------------------------------ the filter bar
  function buildFilters() {
    const form = document.getElementById("filters");
    for (const name of FILTERS) {
      const values = DATA.filters[name] || [];
      const select = el("select", { id: "filter-" + name, name }, el("option", { value: "" }, "all"));
      for (const value of values) select.append(el("option", { value }, value));
      select.addEventListener("change", () => update({ [name]: select.value }));
      form.append(el("label", { class: values.length < 2 ? "single" : null }, name, select));
    }
    const search = el("input", { id: "filter-q", type: "search", placeholder: "task or prompt" });
    search.addEventListener("input", () => update({ q: search.value }));
    const reset = el("button", { type: "button", id: "reset" }, "reset");
    reset.addEventListener("click", () => {
      location.hash = hashOf({ filters: {}, search: "", episode: null });
    });
    form.append(el("label", {}, "search", search), reset);
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  function update(change) {
    const state = readState();
    for (const [name, value] of Object.entries(change)) {
      if (name === "q") state.search = value;
      else if (value) state.filters[name] = value;
      else delete state.filters[name];
    }
    shown = PAGE;
    history.replaceState(null, "", hashOf(state));
    render();
  }

  function showFilters(state) {
    for (const name of FILTERS) {
      document.getElementById("filter-" + name).value = state.filters[name] || "";
    }
    const search = document.getElementById("filter-q");
    if (search.value !== state.search) search.value = state.search;
  }

  // ------------------------------------------------------------------ the overview
  function renderOverview(state) {
    const runs = DATA.runs.filter((r) => !state.filters.run || r.run === state.filters.run);
    const runRows = runs.map((r) => [
      r.run,
      String(r.episodes),
      r.suites.join(", "),
      r.settings.join(", "),
      r.policies.join(", "),
      r.modes.join(", "),
      r.started_at ? r.started_at.slice(0, 19).replace("T", " ") : "-",
      r.finished_at ? r.finished_at.slice(0, 19).replace("T", " ") : "-",
    ]);
    const runColumns = ["run", "episodes", "suites", "settings", "policies", "modes", "started", "finished"];
    fill("runs-table", runRows.length ? table(runColumns, runRows) : empty("No evaluation run here."));

    const comparison = DATA.comparison;
    document.getElementById("comparison-part").hidden = comparison.columns.length === 0;
    fill("comparison-table", tableOf(comparison, state));
    fill("results-table", tableOf(DATA.results, state, "No evaluation results match."));
    fill("paired-table", tableOf(DATA.paired, state, "No task was run in both modes here."));

    const rows = visibleEpisodes(state);
    fill("episode-count", `(${rows.length} of ${DATA.episodes.length})`);
    fill("episodes-table", rows.length ? episodesTable(rows.slice(0, shown), state) : empty("No episode matches."));
    const more = document.getElementById("more");
    more.hidden = rows.length <= shown;
    more.textContent = `Show more (${rows.length - shown} hidden)`;
  }

  function tableOf(data, state, none) {
    const rows = data.rows.filter((row) => matches(row.keys, state.filters));
    return rows.length || !none ? table(data.columns, rows.map((row) => row.cells)) : empty(none);
  }

  function episodesTable(rows, state) {
    const columns = ["run", "suite", "setting", "policy", "mode", "task", "verdict", "score",
      "trial calls", "exec calls", "tool errors", "turns", "tokens", "wall s", "error"];
    const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c))));
    const body = el("tbody", {});
    for (const row of rows) {
      const link = el("a", { href: hashOf({ ...state, episode: row.index }), title: row.prompt }, row.task);
      const cells = [row.run, row.suite, row.setting, row.policy, row.mode, link,
        el("span", { class: "verdict " + row.verdict }, row.verdict), number(row.score, 2),
        String(row.trial_calls), String(row.execute_calls), String(row.tool_errors),
        String(row.turns), String(row.tokens), number(row.wall_s, 2), row.error || "-"];
      const tr = el("tr", { class: "episode-row", "data-index": row.index }, cells.map(cell));
      tr.addEventListener("click", (event) => {
        if (event.target instanceof HTMLAnchorElement) return;
        location.hash = hashOf({ ...state, episode: row.index });
      });
      body.append(tr);
    }
    return el("table", { class: "episodes" }, head, body);
  }

  // ------------------------------------------------------------------ one episode
  window.toolmasterEpisode = function (index, detail) {
    details.set(index, detail);
    const state = readState();
    if (state.episode === index) render();
  };

  function loadEpisode(index) {
    if (document.getElementById("episode-script-" + index)) return;
    const script = el("script", { id: "episode-script-" + index, src: `episodes/${index}.js` });
    script.addEventListener("error", () => {
      fill("episode", el("p", { class: "empty" }, `Could not load episodes/${index}.js.`));
    });
    document.body.append(script);
  }

  function renderEpisode(state) {
    const index = state.episode;
    const row = DATA.episodes[index];
    const back = el("a", { href: hashOf({ ...state, episode: null }), id: "back" }, "← all episodes");
    if (!row) {
      fill("episode", back, empty(`There is no episode ${index}.`));
      return;
    }
    const detail = details.get(index);
    if (!detail) {
      fill("episode", back, el("p", {}, "Loading…"));
      loadEpisode(index);
      return;
    }
    const listed = visibleEpisodes(state).map((r) => r.index);
    const at = listed.indexOf(index);
    const step = (offset) =>
      at >= 0 && listed[at + offset] !== undefined
        ? el("a", { href: hashOf({ ...state, episode: listed[at + offset] }) }, offset < 0 ? "previous" : "next")
        : null;
    fill(
      "episode",
      el("nav", { class: "episode-nav" }, back, step(-1), step(1)),
      el("h2", {}, detail.row.task, " ", el("span", { class: "verdict " + row.verdict }, row.verdict), " ",
        el("span", { class: "where" }, [row.mode, row.run, row.setting, row.policy].join(" · "))),
      el("dl", { class: "facts" }, detail.facts.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v)))),
      part("Prompt", el("pre", {}, detail.prompt)),
      verdictPart(detail),
      detail.error
        ? part("Error", el("p", { class: "error" }, `${detail.error.boundary}/${detail.error.kind}: `, detail.error.message))
        : null,
      detail.answer !== null ? part("Answer", el("pre", {}, detail.answer)) : null,
      detail.notes !== null ? part("Experience notes (finish_trial)", el("pre", { class: "notes" }, detail.notes)) : null,
      el("h3", {}, "Conversation, phase by phase"),
      detail.sections.map((section) =>
        el("section", { class: "phase" }, el("h4", {}, section.label), section.steps.map(stepOf)),
      ),
      detail.tools.length ? part(`Tools (${detail.tools.length})`, detail.tools.map(toolOf)) : null,
      el("details", {}, el("summary", {}, "What the verifier checked against"),
        el("pre", {}, JSON.stringify(detail.expected, null, 2))),
    );
  }

  function part(title, ...children) {
    return el("section", {}, el("h3", {}, title), children);
  }

  function verdictPart(detail) {
    const verdict = detail.verdict;
    if (!verdict) return part("Verdict", el("p", {}, "not judged"));
    return part(
      "Verdict",
      el("p", { class: "verdict " + (verdict.passed ? "passed" : "failed") },
        `${verdict.passed ? "passed" : "failed"}, score ${verdict.score.toFixed(2)}`),
      verdict.reasons.length ? el("ul", { class: "reasons" }, verdict.reasons.map((r) => el("li", {}, r))) : null,
    );
  }

  function stepOf(step) {
    const classes = "step " + step.kind + (step.is_error ? " is-error" : "");
    if (step.kind === "call") {
      return el("div", { class: classes },
        el("div", { class: "head" }, "→ ", el("b", {}, step.tool), ` [${step.call_id}]`, step.phase ? ` ${step.phase}` : ""),
        el("pre", {}, step.text));
    }
    if (step.kind === "result") {
      return el("div", { class: classes },
        el("div", { class: "head" }, "← ", el("b", {}, step.tool || "tool"), step.call_id ? ` [${step.call_id}]` : "",
          step.is_error ? " error" : ""),
        el("pre", {}, step.text));
    }
    return el("div", { class: classes }, el("div", { class: "head" }, step.kind), el("pre", {}, step.text));
  }

  function toolOf(tool) {
    const readOnly = tool.read_only === null ? "" : tool.read_only ? " · read-only" : " · writes";
    return el("details", { class: "tool" },
      el("summary", {}, el("b", {}, tool.name), ` (${tool.server})${readOnly}`),
      el("p", {}, tool.description || "(no description)"),
      el("pre", {}, tool.schema_text));
  }

  // ------------------------------------------------------------------ the page
  function render() {
    const state = readState();
    showFilters(state);
    const open = state.episode !== null;
    document.getElementById("overview").hidden = open;
    document.getElementById("episode").hidden = !open;
    if (open) {
      renderEpisode(state);
    } else {
      fill("episode");
      renderOverview(state);
    }
  }

  function start() {
    const level = `${(100 * DATA.confidence).toFixed(0)}%`;
    fill("about", `${DATA.episodes.length} episodes from ${DATA.store}, built ${DATA.generated_at.slice(0, 19).replace("T", " ")} UTC.`);
    fill("results-note", `Pass rate with its ${level} Wilson interval (CI, percent); calls, turns, tokens and seconds are means per episode; error rates are shares of calls.`);
    fill("paired-note", `Each task (and sample) run in both modes is a pair. Δ: trial pass rate minus direct over the pairs, in points; CI: its ${level} Newcombe hybrid score interval; McNemar p: exact two-sided test on the discordant pairs; unpaired: run in one mode only, left out.`);
    buildFilters();
    document.getElementById("more").addEventListener("click", () => {
      shown += PAGE;
      render();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && readState().episode !== null) {
        location.hash = hashOf({ ...readState(), episode: null });
      }
    });
    window.addEventListener("hashchange", render);
    render();
  }

  start();
})();
