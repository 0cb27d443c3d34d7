/* divisions-picker.js - the division picker made quicker where JavaScript runs
 * (web/templates/divisions/picker.html; the design is in src/divisions/divisions.h).
 *
 * Without this file the picker works by sending the form back for each level. With it:
 * - a select that changes refills the levels below it at once, from
 *   GET /api/v1/divisions/{code}/picker (the same model the server renders);
 * - a type-ahead finds a township, village, county or prefecture by name in Chinese, Tibetan
 *   or English, or by code (GET /api/v1/divisions/search?q=), and fills every select;
 * - the "next level" button goes away, so Enter in a text field submits the form as before.
 * The selects stay the truth of the form: nothing here is sent that a person could not
 * have chosen by hand. The search box is an ARIA 1.2 combobox with a listbox popup. */
(function () {
  'use strict';
  if (window.owDivisionsPicker) return; /* the partial may be on a page more than once */
  window.owDivisionsPicker = true;

  function getJSON(path, lang) {
    var url = path + (path.indexOf('?') < 0 ? '?' : '&') + 'lang=' + encodeURIComponent(lang);
    return fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      });
  }

  function setup(fs) {
    var lang = fs.getAttribute('data-lang') || 'zh';
    var root = fs.getAttribute('data-root');
    var selects = Array.prototype.slice.call(fs.querySelectorAll('select[data-depth]'));
    var next = fs.querySelector('.picker-next');
    var nextAt = next && next.parentNode;
    if (next) nextAt.removeChild(next);
    /* The server cannot be reached for the next level: give the button back. */
    function fallback() {
      if (next && !next.parentNode) nextAt.appendChild(next);
    }
    var box = fs.querySelector('.picker-search');
    var input = box.querySelector('input');
    var list = box.querySelector('[role=listbox]');
    var status = box.querySelector('[role=status]');
    box.hidden = false;
    var loads = 0, searches = 0, timer = null, results = [], active = -1;

    /* Refill every select from a picker model. */
    function fill(model) {
      model.levels.forEach(function (lv, i) {
        var sel = selects[i];
        if (!sel) return;
        while (sel.options.length > 1) sel.remove(1);
        lv.options.forEach(function (o) {
          var opt = new Option(o.name, o.code, false, o.selected);
          opt.lang = o.name_lang;
          sel.add(opt);
        });
        sel.value = lv.selected || '';
        sel.parentNode.hidden = !lv.shown;
      });
    }

    function load(code) {
      var mine = ++loads;
      return getJSON('/api/v1/divisions/' + encodeURIComponent(code || root) + '/picker', lang)
        .then(function (model) {
          if (mine === loads) fill(model);
          return model;
        });
    }

    selects.forEach(function (sel, i) {
      sel.addEventListener('change', function () {
        var code = sel.value || (i > 0 ? selects[i - 1].value : '');
        load(code).catch(fallback);
      });
    });

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute('aria-selected', i === active ? 'true' : 'false');
      });
      if (active >= 0 && list.children[active]) {
        input.setAttribute('aria-activedescendant', list.children[active].id);
        list.children[active].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function show() {
      list.textContent = '';
      results.forEach(function (r, i) {
        var li = document.createElement('li');
        li.id = fs.id + '-opt-' + i;
        li.setAttribute('role', 'option');
        var name = document.createElement('span');
        name.className = 'picker-name';
        name.textContent = r.name;
        name.lang = r.name_lang;
        var where = document.createElement('span');
        where.className = 'picker-where';
        where.textContent = r.context;
        li.appendChild(name);
        li.appendChild(where);
        li.addEventListener('mousedown', function (e) { e.preventDefault(); });
        li.addEventListener('click', function () { choose(i); });
        list.appendChild(li);
      });
      if (results.length === 0) {
        var none = document.createElement('li');
        none.className = 'picker-none';
        none.setAttribute('role', 'option');
        none.setAttribute('aria-disabled', 'true');
        none.id = fs.id + '-none';
        none.textContent = fs.getAttribute('data-none');
        list.appendChild(none);
      }
      active = -1;
      mark();
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      status.textContent = results.length
        ? fs.getAttribute('data-found').replace('#', String(results.length))
        : fs.getAttribute('data-none');
    }

    function search() {
      var q = input.value.trim();
      var mine = ++searches;
      if (q === '') { close(); return; }
      getJSON('/api/v1/divisions/search?limit=10&q=' + encodeURIComponent(q), lang)
        .then(function (body) {
          if (mine !== searches) return;
          results = body.results || [];
          show();
        })
        .catch(function () { close(); });
    }

    function choose(i) {
      var r = results[i];
      if (!r) return;
      input.value = r.name;
      close();
      load(r.code).then(function () {
        status.textContent = fs.getAttribute('data-chosen') + r.name + ' (' + r.context + ')';
      }).catch(fallback);
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, 180);
    });
    input.addEventListener('keydown', function (e) {
      var open = !list.hidden && results.length > 0;
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        e.preventDefault();
        if (list.hidden) { search(); return; }
        if (open) { active = (active + 1) % results.length; mark(); }
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        e.preventDefault();
        if (open) { active = active <= 0 ? results.length - 1 : active - 1; mark(); }
      } else if (e.key === 'Enter') {
        /* Enter picks a place; it never submits the form from here. */
        e.preventDefault();
        if (open) choose(active >= 0 ? active : 0);
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (!list.hidden) { e.preventDefault(); close(); }
      }
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('fieldset[data-picker]'), setup);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
