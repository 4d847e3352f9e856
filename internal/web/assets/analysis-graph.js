// Link chart drawing: reads the chart from the analysis API and draws it
// with cytoscape.js. Double-click (or "Expand") adds a node's neighbours;
// communities are colours and betweenness is size, both computed on the
// server. Pinned positions and annotations stay in this browser's
// localStorage, per entity. Without JavaScript the tables below are the
// chart.
(function () {
  'use strict';
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];
  var SHAPES = { person: 'ellipse', organisation: 'round-rectangle', vehicle: 'triangle', phone: 'diamond', account: 'hexagon', document: 'rectangle', weapon: 'star', address: 'pentagon' };
  var API = '/api/v1/analysis/graph/';
  var PINS = 'liaison.chart.pins', NOTES = 'liaison.chart.notes';

  function load(key) { try { return JSON.parse(localStorage.getItem(key) || '{}') || {}; } catch (e) { return {}; } }
  function save(key, v) { try { localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* storage full or off */ } }
  function checked(name) {
    return Array.prototype.map.call(document.querySelectorAll('#an-graph-form input[name="' + name + '"]:checked'), function (i) { return i.value; });
  }
  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      (Array.isArray(v) ? v : [v]).forEach(function (x) { if (x !== '' && x !== undefined) { q.append(k, x); } });
    });
    return q.toString();
  }
  function get(path, params) {
    return fetch(API + path + '?' + query(params), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function start() {
    var box = document.getElementById('an-cy');
    if (!box || !window.cytoscape || !window.fetch) { return; }
    var t = function (k) { return box.getAttribute('data-t-' + k) || ''; };
    var info = document.getElementById('an-cy-info');
    var noteIn = document.getElementById('an-cy-note'), noteSave = document.getElementById('an-cy-note-save');
    var pins = load(PINS), notes = load(NOTES), maxBet = 0;
    var root = box.getAttribute('data-entity');
    var relName = {};
    document.querySelectorAll('#an-cy-rel li').forEach(function (li) { relName[li.getAttribute('data-type')] = li.textContent; });
    box.hidden = false;
    document.getElementById('an-cy-tools').hidden = false;

    function size(n) { return 18 + 42 * (maxBet > 0 ? Math.sqrt(n.betweenness / maxBet) : 0); }
    function nodeData(n) {
      return { id: n.id, label: n.label, kind: n.kind, depth: n.depth, community: n.community, betweenness: n.betweenness, degree: n.degree,
        color: PALETTE[n.community % PALETTE.length], shape: SHAPES[n.kind] || 'ellipse', size: size(n), note: notes[n.id] || '',
        text: notes[n.id] ? n.label + ' ✎ ' + notes[n.id] : n.label };
    }
    function elements(chart) {
      var els = [];
      chart.nodes.forEach(function (n) { maxBet = Math.max(maxBet, n.betweenness); });
      chart.nodes.forEach(function (n) { els.push({ group: 'nodes', data: nodeData(n), classes: notes[n.id] ? 'noted' : '' }); });
      chart.edges.forEach(function (e) { els.push({ group: 'edges', data: { id: e.from + '|' + e.type + '|' + e.to, source: e.from, target: e.to, type: e.type, name: relName[e.type] || e.type } }); });
      return els;
    }

    var cy = null;
    function layout() {
      var n = cy.nodes().length;
      // cose (force directed) while it stays quick; rings by depth above.
      var opts = n <= 300 ? { name: 'cose', animate: false, randomize: true, nodeDimensionsIncludeLabels: false, numIter: 1000 }
        : { name: 'concentric', animate: false, concentric: function (x) { return 10 - (x.data('depth') || 0); }, levelWidth: function () { return 1; }, minNodeSpacing: 4 };
      var l = cy.elements().layout(opts);
      l.one('layoutstop', function () { applyPins(); fit(); });
      l.run();
    }
    // Fit the chart, without zooming a handful of entities up to poster size.
    function fit() {
      cy.fit(cy.elements(':visible'), 30);
      if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(cy.elements(':visible')); }
    }
    function applyPins() {
      cy.nodes().forEach(function (n) {
        var p = pins[n.id()];
        if (p) { n.unlock(); n.position({ x: p.x, y: p.y }); n.lock(); n.addClass('pinned'); }
      });
    }
    function report() {
      var sel = cy.nodes(':selected');
      info.textContent = t('info').replace('{nodes}', cy.nodes(':visible').length).replace('{edges}', cy.edges(':visible').length) +
        (sel.length ? ' · ' + t('selected') + ': ' + sel.map(function (n) { return n.data('label'); }).join(', ') : '');
      var one = sel.length === 1 ? sel[0] : null;
      noteIn.disabled = noteSave.disabled = !one;
      noteIn.value = one ? one.data('note') : '';
    }
    function listNotes() {
      var ol = document.getElementById('an-cy-notes');
      ol.textContent = '';
      cy.nodes().forEach(function (n) {
        if (!n.data('note')) { return; }
        var li = document.createElement('li');
        li.textContent = n.data('label') + ': ' + n.data('note');
        ol.appendChild(li);
      });
    }
    // Filters hide by class, changing only the elements whose state changes.
    function filter() {
      var types = checked('type'), kinds = checked('kind');
      cy.batch(function () {
        cy.elements('.filtered').removeClass('filtered');
        if (kinds.length) {
          cy.nodes().filter(function (n) { return n.id() !== root && kinds.indexOf(n.data('kind')) < 0; }).addClass('filtered');
        }
        if (types.length) {
          cy.edges().filter(function (e) { return types.indexOf(e.data('type')) < 0; }).addClass('filtered');
        }
      });
      report();
    }
    function expand(node) {
      if (!node) { return; }
      get('neighbours', { entity: node.id(), depth: 1, type: checked('type'), kind: checked('kind'), limit: 500 }).then(function (chart) {
        var have = {};
        cy.nodes().forEach(function (n) { have[n.id()] = true; });
        var add = elements(chart).filter(function (el) { return !cy.getElementById(el.data.id).length; });
        var fresh = add.filter(function (el) { return el.group === 'nodes'; });
        var c = node.position(), r = 60 + 6 * fresh.length;
        fresh.forEach(function (el, i) {
          var a = 2 * Math.PI * i / Math.max(fresh.length, 1);
          el.position = { x: c.x + r * Math.cos(a), y: c.y + r * Math.sin(a) };
          el.classes = (el.classes ? el.classes + ' ' : '') + 'expanded';
          el.data.depth = (node.data('depth') || 0) + 1;
        });
        cy.add(add);
        node.addClass('opened');
        filter();
        fit();
        listNotes();
      }).catch(function () { info.textContent = t('error'); });
    }
    function showPath(from, to) {
      get('path', { from: from, to: to }).then(function (chart) {
        cy.elements().removeClass('path');
        if (!chart.path || !chart.path.length) { info.textContent = t('nopath'); return; }
        var add = elements(chart).filter(function (el) { return !cy.getElementById(el.data.id).length; });
        var anchor = cy.getElementById(from).position();
        add.forEach(function (el, i) { if (el.group === 'nodes') { el.position = { x: anchor.x + 40 * (i + 1), y: anchor.y + 40 }; } });
        cy.add(add);
        chart.path.forEach(function (id) { cy.getElementById(id).addClass('path'); });
        chart.edges.forEach(function (e) { cy.getElementById(e.from + '|' + e.type + '|' + e.to).addClass('path'); });
        report();
      }).catch(function () { info.textContent = t('error'); });
    }

    var reads = [get('neighbours', { entity: root, depth: box.getAttribute('data-depth') || 1, type: checked('type'), kind: checked('kind'), limit: 5000 })];
    var to = box.getAttribute('data-to');
    if (to) { reads.push(get('path', { from: root, to: to })); }
    Promise.all(reads).then(function (res) {
      var chart = res[0];
      var big = chart.nodes.length > 1500;
      cy = window.cytoscape({
        container: box, elements: elements(chart), boxSelectionEnabled: true, layout: { name: 'preset' },
        hideEdgesOnViewport: big, textureOnViewport: big, pixelRatio: big ? 1 : 'auto', motionBlur: false,
        style: [
          { selector: 'node', style: { 'background-color': 'data(color)', shape: 'data(shape)', width: 'data(size)', height: 'data(size)', label: big ? '' : 'data(label)',
            'font-size': 10, 'min-zoomed-font-size': 7, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#222', 'border-width': 1, 'border-color': '#fff' } },
          { selector: 'node.noted', style: { label: 'data(text)', 'font-style': 'italic' } },
          // Above 1,500 entities labels show only where they are asked for.
          { selector: 'node.hover, node:selected, node.opened, node.path', style: { label: 'data(text)' } },
          { selector: 'node.pinned', style: { 'border-width': 3, 'border-color': '#000', 'border-style': 'double' } },
          { selector: 'node.opened', style: { 'border-width': 2, 'border-color': '#555' } },
          { selector: 'node:selected', style: { 'overlay-color': '#ffd400', 'overlay-opacity': 0.45, 'overlay-padding': 4 } },
          { selector: 'edge', style: { width: 1, 'line-color': '#aab', 'curve-style': big ? 'haystack' : 'bezier', 'target-arrow-shape': big ? 'none' : 'triangle',
            'target-arrow-color': '#aab', 'arrow-scale': 0.7, label: big ? '' : 'data(name)', 'font-size': 8, 'min-zoomed-font-size': 9, color: '#667' } },
          { selector: '.filtered', style: { display: 'none' } },
          { selector: '.path', style: { 'line-color': '#c00', 'target-arrow-color': '#c00', width: 3, 'border-color': '#c00', 'border-width': 3 } }
        ]
      });
      window.liaisonChart = cy;
      cy.getElementById(root).addClass('opened');
      layout();
      if (res[1] && res[1].path && res[1].path.length) { showPath(root, to); }
      cy.on('dbltap', 'node', function (e) { expand(e.target); });
      cy.on('select unselect', 'node', report);
      cy.on('mouseover', 'node', function (e) { e.target.addClass('hover'); });
      cy.on('mouseout', 'node', function (e) { e.target.removeClass('hover'); });
      cy.on('dragfree', 'node', function (e) {
        var n = e.target;
        if (pins[n.id()]) { pins[n.id()] = n.position(); save(PINS, pins); }
      });
      filter();
      listNotes();
    }).catch(function () { info.textContent = t('error'); });

    document.querySelectorAll('#g-types input, #g-kinds input').forEach(function (i) { i.addEventListener('change', function () { if (cy) { filter(); } }); });
    document.getElementById('an-cy-expand').addEventListener('click', function () { if (cy) { cy.nodes(':selected').forEach(expand); } });
    document.getElementById('an-cy-path').addEventListener('click', function () {
      var sel = cy ? cy.nodes(':selected') : [];
      if (sel.length !== 2) { info.textContent = t('pick2'); return; }
      showPath(sel[0].id(), sel[1].id());
    });
    document.getElementById('an-cy-pin').addEventListener('click', function () {
      if (!cy) { return; }
      cy.nodes(':selected').forEach(function (n) {
        if (pins[n.id()]) { delete pins[n.id()]; n.unlock(); n.removeClass('pinned'); } else { pins[n.id()] = n.position(); n.lock(); n.addClass('pinned'); }
      });
      save(PINS, pins);
    });
    document.getElementById('an-cy-fit').addEventListener('click', function () { if (cy) { fit(); } });
    document.getElementById('an-cy-relayout').addEventListener('click', function () { if (cy) { layout(); } });
    noteSave.addEventListener('click', function () {
      var sel = cy ? cy.nodes(':selected') : [];
      if (sel.length !== 1) { return; }
      var text = noteIn.value.trim();
      if (text) { notes[sel[0].id()] = text; } else { delete notes[sel[0].id()]; }
      sel[0].data({ note: text, text: text ? sel[0].data('label') + ' ✎ ' + text : sel[0].data('label') });
      sel[0].toggleClass('noted', !!text);
      save(NOTES, notes);
      listNotes();
    });
    // Printing: the canvas becomes an image in the page, with the notes.
    var img = document.getElementById('an-cy-image');
    function toImage() { if (cy) { img.src = cy.png({ full: true, bg: '#ffffff', maxWidth: 2400 }); img.hidden = false; } }
    window.addEventListener('beforeprint', toImage);
    window.addEventListener('afterprint', function () { img.hidden = true; });
    document.getElementById('an-cy-print').addEventListener('click', function () { toImage(); window.print(); });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
