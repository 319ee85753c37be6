// CareHub video room: WebRTC mesh with signalling over a WebSocket.
// The join token is in the URL fragment (never sent to the server as part of a URL);
// it is sent as the first WebSocket message. See carehub/telemed/rooms.py for the protocol.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("texts").textContent);
  const roomId = document.body.dataset.room;
  const token = decodeURIComponent(location.hash.slice(1));
  const status = document.getElementById("status");
  const videos = document.getElementById("videos");
  const pcs = new Map();
  const state = { id: null, peers: pcs, error: null, closed: null, joined: false,
                  presenter: null, view: null, kind: null, patient: null, ice: [] };
  window.carehubRoom = state;
  let ws = null;
  let local = null;

  function say(text) { status.textContent = text; }
  function send(msg) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(msg)); }

  function videoFor(id, name) {
    let fig = document.getElementById("peer-" + id);
    if (!fig) {
      fig = document.createElement("figure");
      fig.id = "peer-" + id;
      const v = document.createElement("video");
      v.autoplay = true; v.playsInline = true;
      const cap = document.createElement("figcaption");
      cap.textContent = name || id;
      fig.append(v, cap);
      videos.append(fig);
    }
    return fig.querySelector("video");
  }

  function connection(peerId, name) {
    let entry = pcs.get(peerId);
    if (entry) return entry.pc;
    const pc = new RTCPeerConnection({ iceServers: state.ice });
    entry = { pc, name };
    pcs.set(peerId, entry);
    if (local) local.getTracks().forEach((t) => pc.addTrack(t, local));
    pc.onicecandidate = (e) => {
      if (e.candidate) send({ type: "signal", to: peerId, data: { candidate: e.candidate.toJSON() } });
    };
    pc.ontrack = (e) => {
      const v = videoFor(peerId, entry.name);
      if (v.srcObject !== e.streams[0]) v.srcObject = e.streams[0];
    };
    return pc;
  }

  async function call(peer) {
    const pc = connection(peer.id, peer.name);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send({ type: "signal", to: peer.id, data: { sdp: pc.localDescription.toJSON() } });
  }

  async function onSignal(from, data) {
    const pc = connection(from, null);
    if (data.sdp) {
      await pc.setRemoteDescription(data.sdp);
      if (data.sdp.type === "offer") {
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        send({ type: "signal", to: from, data: { sdp: pc.localDescription.toJSON() } });
      }
    } else if (data.candidate) {
      try { await pc.addIceCandidate(data.candidate); } catch (e) { /* late candidate */ }
    }
  }

  function drop(id) {
    const entry = pcs.get(id);
    if (entry) entry.pc.close();
    pcs.delete(id);
    const fig = document.getElementById("peer-" + id);
    if (fig) fig.remove();
  }

  // --- case conference: shared case view following the presenter ---
  const caseBox = document.getElementById("case");
  const tabs = Array.from(document.querySelectorAll("[data-tab]"));
  function canPresent() { return state.presenter && state.presenter === state.id; }
  function updatePresenter(id, name) {
    state.presenter = id;
    document.getElementById("presenter").textContent =
      id ? T["telemed.room.presenter"] + ": " + (id === state.id ? T["telemed.room.you"] : name)
         : "";
    tabs.forEach((b) => { b.disabled = !canPresent(); });
  }
  function el(tag, text) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function renderCase(view) {
    state.view = view;
    const body = document.getElementById("case-body");
    body.replaceChildren();
    const c = view.case || {};
    tabs.forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === c.tab)));
    body.append(el("p", [c.name, c.gender, c.birthDate].filter(Boolean).join(" · ")));
    body.dataset.tab = c.tab || "";
    if (c.tab === "summary") {
      body.append(el("h3", T["telemed.case.conditions"]));
      const ul = el("ul");
      (c.conditions || []).forEach((x) => ul.append(el("li", x)));
      body.append(ul);
    } else if (c.tab === "labs") {
      const trend = (c.trends || []).find((t) => t.code === c.chart);
      if (!trend) { body.append(el("p", T["telemed.case.none"])); return; }
      body.append(el("h3", trend.label + " (" + trend.unit + ")"));
      body.dataset.chart = trend.code;
      const table = el("table");
      trend.points.forEach((p) => { const tr = el("tr"); tr.append(el("td", p[0]), el("td", String(p[1]))); table.append(tr); });
      body.append(table);
    } else if (c.tab === "imaging") {
      const ul = el("ul");
      (c.findings || []).forEach((f) => ul.append(el("li", f.date + " " + f.title + ": " + f.conclusion)));
      body.append((c.findings || []).length ? ul : el("p", T["telemed.case.none"]));
    }
  }
  tabs.forEach((b) => b.addEventListener("click", () => {
    if (canPresent()) send({ type: "view", state: { patient: state.patient, tab: b.dataset.tab } });
  }));
  document.getElementById("present").addEventListener("click", () => send({ type: "present" }));
  state.show = (tab, chart) => send({ type: "view", state: { patient: state.patient, tab, chart } });
  state.present = () => send({ type: "present" });

  const recordBtn = document.getElementById("record");
  recordBtn.addEventListener("click", () => send({ type: "record", on: true }));
  document.getElementById("leave").addEventListener("click", () => { if (ws) ws.close(1000); });

  function onMessage(msg) {
    switch (msg.type) {
      case "welcome":
        state.id = msg.id; state.ice = msg.iceServers || []; state.kind = msg.kind;
        state.patient = msg.patient; state.joined = true;
        say(T["telemed.room.connected"]);
        recordBtn.disabled = !msg.recordingAllowed;
        if (msg.kind === "case-conference") {
          caseBox.hidden = false;
          document.getElementById("present").hidden = false;
          document.querySelector("h1").textContent = T["telemed.room.conference"];
        }
        updatePresenter(msg.presenter, "");
        if (msg.view) renderCase(msg.view);
        msg.peers.forEach((p) => call(p));
        break;
      case "peer-joined": videoFor(msg.id, msg.name); break;
      case "peer-left": drop(msg.id); break;
      case "signal": onSignal(msg.from, msg.data); break;
      case "presenter": updatePresenter(msg.id, msg.name); break;
      case "view": renderCase(msg); break;
      case "recording": say(msg.on ? T["telemed.room.recording"] : T["telemed.room.connected"]); break;
      case "error":
        state.error = msg.code;
        say(msg.code === "recording-refused" ? T["telemed.room.record_refused"]
            : msg.code === "forbidden" ? T["telemed.room.refused"] : msg.message);
        break;
    }
  }

  async function start() {
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      document.getElementById("local").srcObject = local;
    } catch (e) {
      say(T["telemed.room.no_camera"]);
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(scheme + "//" + location.host + "/telemed/ws/" + encodeURIComponent(roomId));
    ws.onopen = () => send({ type: "hello", token });
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = (e) => {
      state.closed = e.code;
      if (e.code === 4403) say(T["telemed.room.refused"]);
      pcs.forEach((_, id) => drop(id));
    };
  }

  // bytes received per peer (inbound RTP), for the room's own diagnostics and tests
  state.bytesReceived = async () => {
    const out = {};
    for (const [id, entry] of pcs) {
      let total = 0;
      (await entry.pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp") total += s.bytesReceived || 0; });
      out[id] = total;
    }
    return out;
  };
  start();
})();
