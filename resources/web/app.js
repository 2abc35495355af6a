// Hearth's web page: a small chat on the local API. No framework, no CDN: the app is offline.
// Text from the model is only ever put in the page with textContent (never as HTML).
"use strict";

const TEXT = {
  en: {
    tokenLabel: "API token", saveToken: "Use token", send: "Send", stop: "Stop",
    newChat: "New chat", placeholder: "Ask anything…", thinking: "Thinking…",
    thought: "Thought", stopped: "Stopped.", you: "You", noModel: "No model is loaded.",
    needToken: "Enter the API token to start.", badToken: "The token was refused.",
    failed: "Something went wrong: ", cutOff: "The answer was cut off (length limit).",
    tokenHelp: "Copy it from Hearth’s Settings (Local API), or run “python -m app serve --print-token”.",
    other: "中文",
  },
  zh: {
    tokenLabel: "API 令牌", saveToken: "使用令牌", send: "发送", stop: "停止",
    newChat: "新对话", placeholder: "想问什么都可以…", thinking: "思考中…",
    thought: "思考过程", stopped: "已停止。", you: "你", noModel: "尚未加载模型。",
    needToken: "请输入 API 令牌。", badToken: "令牌无效。",
    failed: "出错了：", cutOff: "回答因长度限制被截断。",
    tokenHelp: "可在 Hearth 的设置（本地 API）中复制，或运行 “python -m app serve --print-token”。",
    other: "English",
  },
};

const $ = (id) => document.getElementById(id);
const state = { lang: "en", token: "", model: "", history: [], controller: null };

function t(key) { return TEXT[state.lang][key] || TEXT.en[key] || key; }

function applyLanguage(lang) {
  state.lang = lang;
  localStorage.setItem("hearth-lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  $("lang").textContent = t("other");
  for (const el of document.querySelectorAll("details.reasoning > summary")) {
    el.textContent = el.dataset.done ? t("thought") : t("thinking");
  }
}

function setStatus(text, isError) {
  $("status").textContent = text || "";
  $("status").classList.toggle("error", !!isError);
}

function headers() {
  return { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` };
}

async function loadModel() {
  if (!state.token) { $("token-row").hidden = false; setStatus(t("needToken")); return; }
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) {
    $("token-row").hidden = false; setStatus(t("badToken"), true); return;
  }
  const body = await response.json();
  state.model = body.data && body.data.length ? body.data[0].id : "";
  $("model").textContent = state.model;
  $("token-row").hidden = true;
  setStatus(state.model ? "" : t("noModel"), !state.model);
}

function addMessage(role) {
  const box = document.createElement("div");
  box.className = `msg ${role}`;
  $("log").appendChild(box);
  return box;
}

function addUser(text) {
  const box = addMessage("user");
  const p = document.createElement("div");
  p.className = "user-text";
  p.textContent = text;
  box.appendChild(p);
}

function addAssistant() {
  const box = addMessage("assistant");
  const details = document.createElement("details");
  details.className = "reasoning";
  details.open = true;
  details.hidden = true;
  const summary = document.createElement("summary");
  summary.textContent = t("thinking");
  const pre = document.createElement("pre");
  details.append(summary, pre);
  const answer = document.createElement("div");
  answer.className = "answer";
  box.append(details, answer);
  return { box, details, summary, pre, answer };
}

function endReasoning(view) {
  if (view.summary.dataset.done) return;
  view.summary.dataset.done = "1";
  view.summary.textContent = t("thought");
  view.details.open = false;
}

// Reads an SSE stream of chat.completion.chunk objects; calls onChunk for each.
async function readStream(response, onChunk) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of block.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        onChunk(JSON.parse(data));
      }
    }
  }
}

async function send(text) {
  addUser(text);
  state.history.push({ role: "user", content: text });
  const view = addAssistant();
  let reasoning = "";
  let answer = "";
  let finish = null;
  state.controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  setStatus("");
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ model: state.model, messages: state.history, stream: true }),
      signal: state.controller.signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error((body.error && body.error.message) || `HTTP ${response.status}`);
    }
    await readStream(response, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) return;
      const delta = choice.delta || {};
      if (delta.reasoning_content) {
        reasoning += delta.reasoning_content;
        view.details.hidden = false;
        view.pre.textContent = reasoning;
      }
      if (delta.content) {
        if (reasoning) endReasoning(view);
        answer += delta.content;
        view.answer.textContent = answer;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    if (finish === "length") setStatus(t("cutOff"));
  } catch (error) {
    if (error.name === "AbortError") {
      setStatus(t("stopped"));
    } else {
      setStatus(t("failed") + error.message, true);
    }
  } finally {
    if (reasoning) endReasoning(view);
    state.history.push({ role: "assistant", content: answer });
    state.controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
    view.box.dataset.done = finish || "stopped";
  }
}

function init() {
  const saved = localStorage.getItem("hearth-lang");
  const wanted = new URLSearchParams(location.search).get("lang");
  const browser = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  applyLanguage(wanted === "zh" || wanted === "en" ? wanted : saved || browser);

  // The token may come in the address fragment (never sent to the server); keep it, hide it.
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem("hearth-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  state.token = localStorage.getItem("hearth-token") || "";

  $("lang").addEventListener("click", () => applyLanguage(state.lang === "en" ? "zh" : "en"));
  $("save-token").addEventListener("click", () => {
    state.token = $("token").value.trim();
    localStorage.setItem("hearth-token", state.token);
    loadModel().catch((error) => setStatus(t("failed") + error.message, true));
  });
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("prompt").value.trim();
    if (!text || state.controller) return;
    $("prompt").value = "";
    send(text);
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => { if (state.controller) state.controller.abort(); });
  $("clear").addEventListener("click", () => {
    if (state.controller) state.controller.abort();
    state.history = [];
    $("log").textContent = "";
    setStatus("");
  });
  loadModel().catch((error) => setStatus(t("failed") + error.message, true));
}

document.addEventListener("DOMContentLoaded", init);
