<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Hearth</source>
        <translation>关于 Hearth</translation>
    </message>
    <message>
        <source>A private, offline assistant that runs on your own computer.</source>
        <translation>一个在你自己电脑上运行的私密离线助手。</translation>
    </message>
    <message>
        <source>No telemetry, no update checks, no crash uploads. Your chats never leave this computer.</source>
        <translation>没有遥测，不检查更新，不上传崩溃报告。你的对话永远不会离开这台电脑。</translation>
    </message>
    <message>
        <source>CPU code</source>
        <translation>CPU 代码</translation>
    </message>
    <message>
        <source>Licences</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>llama.cpp system info: %1</source>
        <translation>llama.cpp 系统信息：%1</translation>
    </message>
</context>
<context>
    <name>AssistantMessageWidget</name>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy answer</source>
        <translation>复制回答</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Regenerate this answer</source>
        <translation>重新生成此回答</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Continue this answer</source>
        <translation>继续此回答</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete message</source>
        <translation>删除消息</translation>
    </message>
    <message>
        <source>This answer was interrupted before it finished.</source>
        <translation>此回答在完成前被中断。</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>This answer ended with an error.</source>
        <translation>此回答因出错而结束。</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>%1 tok/s</source>
        <extracomment>At most one streaming save per second (a kill -9 loses at most the last second).</extracomment>
        <translation>%1 词元/秒</translation>
    </message>
    <message>
        <source>first token %1 s</source>
        <translation>首词元 %1 秒</translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n 个词元</numerusform>
        </translation>
    </message>
    <message>
        <source>Hearth is still answering. Wait for it or press Stop, then send again.</source>
        <translation>Hearth 仍在回答。请等待它完成或点击“停止”，然后再发送。</translation>
    </message>
    <message>
        <source>No model is loaded. Open a model file first.</source>
        <translation>尚未加载模型。请先打开一个模型文件。</translation>
    </message>
    <message>
        <source>Summarise our conversation so far as a short list of the key facts, decisions and open questions, so that we can continue it in a new chat. Reply with the summary only.</source>
        <translation>请把我们到目前为止的对话总结成一份简短的清单，列出关键事实、已做的决定和尚未解决的问题，以便我们在新对话中继续。只回复总结内容。</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>%1 (continued)</source>
        <translation>%1（续）</translation>
    </message>
    <message>
        <source>Summary of the earlier chat “%1”:</source>
        <translation>之前对话“%1”的总结：</translation>
    </message>
    <message>
        <source>thinking budget reached</source>
        <translation>已达到思考预算</translation>
    </message>
    <message>
        <source>answer requested</source>
        <translation>已要求立即回答</translation>
    </message>
    <message>
        <source>the reasoning was repeating itself, so Hearth asked for the answer</source>
        <translation>思考内容在重复，Hearth 已要求模型直接回答</translation>
    </message>
    <message numerus="yes">
        <source>%n earlier message(s) no longer fit the context and were left out.</source>
        <translation>
            <numerusform>有 %n 条较早的消息超出了上下文长度，未包含在内。</numerusform>
        </translation>
    </message>
    <message>
        <source>The answer stopped because the context window is full. Start a new chat or raise the context length in Settings.</source>
        <translation>上下文窗口已满，回答已停止。请开始新对话，或在“设置”中增大上下文长度。</translation>
    </message>
    <message>
        <source>The answer reached the maximum length set in Settings.</source>
        <translation>回答已达到“设置”中设定的最大长度。</translation>
    </message>
    <message>
        <source>Stopped. You can continue or regenerate this answer.</source>
        <translation>已停止。你可以继续或重新生成此回答。</translation>
    </message>
</context>
<context>
    <name>ChatInput</name>
    <message>
        <source>Message Hearth… (Enter to send, Shift+Enter for a new line)</source>
        <translation>给 Hearth 发消息…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Message input</source>
        <translation>消息输入框</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>对话内容</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <source>Pinned</source>
        <extracomment>Item data roles shared by the two models. Date groups, in the order they appear. Search results shown at most (newest first); more would only be scrolled past. Conversation rows handed to the view at a time. The view lays out every row it is told about (two Python calls per row), so 10,000 chats are revealed as it scrolls. (parent, caption, directory, filter) -&gt; (file name, chosen filter), like QFileDialog&apos;s. How many of ``_rows`` the view has been given (see LIST_BATCH). Called by an inline edit with (conversation id, new title); True if saved.</extracomment>
        <translation>已置顶</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <source>Older</source>
        <translation>更早</translation>
    </message>
    <message>
        <source>Untitled chat</source>
        <translation>未命名对话</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>A cage holds chickens and rabbits: 35 heads and 94 legs in all. How many chickens and how many rabbits are there?</source>
        <translation>鸡兔同笼：笼子里有若干只鸡和兔，从上面数有35个头，从下面数有94只脚。鸡和兔各有多少只？</translation>
    </message>
    <message>
        <source>Write a quicksort function in Python and explain how it works.</source>
        <translation>用 Python 写一个快速排序函数，并解释它是如何工作的。</translation>
    </message>
    <message>
        <source>If all A are B, and some B are C, can we conclude that some A are C?</source>
        <translation>如果所有A都是B，有些B是C，能否推出有些A是C？</translation>
    </message>
    <message>
        <source>What can I help you think through?</source>
        <translation>有什么需要我帮你想一想的？</translation>
    </message>
    <message>
        <source>Everything stays on this computer. Try one of these:</source>
        <translation>所有内容都只保存在这台电脑上。试试下面的问题：</translation>
    </message>
</context>
<context>
    <name>FindBar</name>
    <message>
        <source>Find in chat</source>
        <extracomment>Document positions (reasoning, answer) or string indices (user text). Emitted after each search or move: (current index, 0-based or -1; match count).
----------
Editors carrying our extra selections, and labels switched to rich text. Reasoning blocks we expanded to show a match (collapsed again on close).</extracomment>
        <translation>在对话中查找</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Matches</source>
        <translation>匹配项</translation>
    </message>
    <message>
        <source>Previous match (Shift+Enter)</source>
        <translation>上一个匹配项（Shift+Enter）</translation>
    </message>
    <message>
        <source>Previous match</source>
        <translation>上一个匹配项</translation>
    </message>
    <message>
        <source>Next match (Enter)</source>
        <translation>下一个匹配项（Enter）</translation>
    </message>
    <message>
        <source>Next match</source>
        <translation>下一个匹配项</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>关闭（Esc）</translation>
    </message>
    <message>
        <source>Close find bar</source>
        <translation>关闭查找栏</translation>
    </message>
    <message>
        <source>No matches</source>
        <translation>无匹配项</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1/%2</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Reading the prompt</source>
        <translation>正在读取提示词</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send message</source>
        <translation>发送消息</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop generating</source>
        <translation>停止生成</translation>
    </message>
    <message>
        <source>Stop generating (Esc)</source>
        <translation>停止生成（Esc）</translation>
    </message>
    <message>
        <source>Answer now</source>
        <translation>立即回答</translation>
    </message>
    <message>
        <source>Stop thinking and answer now</source>
        <translation>停止思考并立即回答</translation>
    </message>
    <message>
        <source>Speed of the last answer</source>
        <translation>上一条回答的速度</translation>
    </message>
    <message>
        <source>context %p%</source>
        <translation>上下文 %p%</translation>
    </message>
    <message>
        <source>Context used</source>
        <translation>已用上下文</translation>
    </message>
    <message>
        <source>Offline mode</source>
        <translation>离线模式</translation>
    </message>
    <message>
        <source>Summarising this chat…</source>
        <translation>正在总结此对话…</translation>
    </message>
    <message>
        <source>Menu bar</source>
        <translation>菜单栏</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>新对话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open model file…</source>
        <translation>打开模型文件(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Summarise and continue in a new chat</source>
        <translation>总结并在新对话中继续(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Larger text</source>
        <translation>放大文字</translation>
    </message>
    <message>
        <source>Smaller text</source>
        <translation>缩小文字</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Network log…</source>
        <translation>网络日志(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;About Hearth</source>
        <translation>关于 Hearth(&amp;A)</translation>
    </message>
    <message>
        <source>Edit message</source>
        <translation>编辑消息</translation>
    </message>
    <message>
        <source>Edit your message and send it again:</source>
        <translation>编辑你的消息并重新发送：</translation>
    </message>
    <message>
        <source>Open model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Offline mode is on: Hearth will not use the network. Click to allow downloads.</source>
        <translation>离线模式已开启：Hearth 不会使用网络。点击以允许下载。</translation>
    </message>
    <message>
        <source>Hearth may use the network only to download models. Click to go offline.</source>
        <translation>Hearth 只会在下载模型时使用网络。点击切换到离线模式。</translation>
    </message>
    <message>
        <source>%1 of %2 tokens of context used</source>
        <extracomment>The context meter warns from this share of the window on.</extracomment>
        <translation>已使用上下文 %1 / %2 个词元</translation>
    </message>
    <message>
        <source>This chat has used %1% of the model&apos;s context. Older messages will be left out of the next answers. Use File › Summarise and continue to carry on in a new chat.</source>
        <translation>此对话已用掉模型上下文的 %1%。接下来的回答将不再包含较早的消息。可使用“文件 › 总结并在新对话中继续”，在新对话中接着聊。</translation>
    </message>
    <message>
        <source>This new chat starts from a summary of the earlier one.</source>
        <translation>这个新对话以之前对话的总结开始。</translation>
    </message>
    <message>
        <source>Open link</source>
        <translation>打开链接</translation>
    </message>
    <message>
        <source>Open this link in your browser?
%1</source>
        <translation>要在浏览器中打开此链接吗？
%1</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>%1 tok/s · first token %2 s</source>
        <translation>%1 词元/秒 · 首词元 %2 秒</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>%1 · %2 · context %3 tokens</source>
        <translation>%1 · %2 · 上下文 %3 个词元</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Dismiss message</source>
        <translation>关闭消息</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
</context>
<context>
    <name>ModelBanner</name>
    <message>
        <source>Open model file…</source>
        <translation>打开模型文件…</translation>
    </message>
    <message>
        <source>Open model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <source>Download a model…</source>
        <translation>下载模型…</translation>
    </message>
    <message>
        <source>Open the model manager</source>
        <translation>打开模型管理器</translation>
    </message>
    <message>
        <source>No model is loaded. Open a GGUF file or download one.</source>
        <translation>尚未加载模型。请打开一个 GGUF 文件，或下载一个模型。</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
</context>
<context>
    <name>ModelPanel</name>
    <message>
        <source>Model manager</source>
        <extracomment>Row keys of installed models that are not catalog entries start with this. Keys of import jobs on the worker start with this. The progress bar counts in tenths of a percent, so small files still move smoothly. States in which a worker job for the row is running. Bytes on disk: the file, or the .part of a paused download. Why it failed (or what verification found), for the state cell and its tooltip. The absolute path of an installed model the user chose to use (the window loads it). The user asked to go back to the chat. Live states the disk cannot tell: failures, pausing, verification results. Import offered and waiting for the copy / in-place choice, then queued ones.</extracomment>
        <translation>模型管理器</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Back to chat</source>
        <translation>返回对话</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Import a GGUF model file</source>
        <translation>导入 GGUF 模型文件</translation>
    </message>
    <message>
        <source>Add a .gguf file you already have. You can also drop files here.</source>
        <translation>添加你已有的 .gguf 文件。也可以把文件拖放到这里。</translation>
    </message>
    <message>
        <source>Offline mode</source>
        <translation>离线模式</translation>
    </message>
    <message>
        <source>Models you can download or use</source>
        <translation>可下载或使用的模型</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <source>Download speed, time left and source</source>
        <translation>下载速度、剩余时间和来源</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download the selected model</source>
        <translation>下载所选模型</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause the download</source>
        <translation>暂停下载</translation>
    </message>
    <message>
        <source>Stop for now; what is downloaded is kept</source>
        <translation>暂时停止，已下载的部分会保留</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Resume the download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Continue where the download stopped</source>
        <translation>从中断处继续下载</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancel the download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Stop and delete what was downloaded</source>
        <translation>停止下载并删除已下载的部分</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete the selected model</source>
        <translation>删除所选模型</translation>
    </message>
    <message>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <source>Use the selected model</source>
        <translation>使用所选模型</translation>
    </message>
    <message>
        <source>Load it for chatting</source>
        <translation>加载该模型用于对话</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Verify the selected model</source>
        <translation>校验所选模型</translation>
    </message>
    <message>
        <source>Re-read the file and check its checksum</source>
        <translation>重新读取文件并核对校验和</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Dismiss message</source>
        <translation>关闭消息</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Copy into Hearth</source>
        <translation>复制到 Hearth</translation>
    </message>
    <message>
        <source>Copy the file into Hearth&apos;s models folder</source>
        <translation>把文件复制到 Hearth 的模型文件夹</translation>
    </message>
    <message>
        <source>Hearth keeps its own copy; the original can be moved or deleted</source>
        <translation>Hearth 会保留自己的副本，原文件可以移动或删除</translation>
    </message>
    <message>
        <source>Use where it is</source>
        <translation>原位使用</translation>
    </message>
    <message>
        <source>Use the file where it is</source>
        <translation>在原位置使用该文件</translation>
    </message>
    <message>
        <source>No copy is made; the file must stay where it is</source>
        <translation>不复制文件，文件必须保留在原位置</translation>
    </message>
    <message>
        <source>Don&apos;t import</source>
        <translation>不导入</translation>
    </message>
    <message>
        <source>Do not import the file</source>
        <translation>不导入该文件</translation>
    </message>
    <message>
        <source>Confirm deletion</source>
        <translation>确认删除</translation>
    </message>
    <message>
        <source>Yes, delete it</source>
        <translation>是，删除它</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>No, keep it</source>
        <translation>否，保留它</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Memory needed</source>
        <translation>所需内存</translation>
    </message>
    <message>
        <source>Fits here?</source>
        <translation>本机能否运行</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>可以运行</translation>
    </message>
    <message>
        <source>Tight</source>
        <translation>内存紧张</translation>
    </message>
    <message>
        <source>Too big for this machine</source>
        <translation>对本机来说太大</translation>
    </message>
    <message>
        <source>Not downloaded</source>
        <translation>未下载</translation>
    </message>
    <message>
        <source>Paused at %1%</source>
        <translation>已暂停于 %1%</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>Downloading %1%</source>
        <translation>正在下载 %1%</translation>
    </message>
    <message>
        <source>Pausing…</source>
        <translation>正在暂停…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Verifying %1%</source>
        <translation>正在校验 %1%</translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation>正在校验…</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>Installed (used where it is)</source>
        <translation>已安装（原位使用）</translation>
    </message>
    <message>
        <source>Missing: the file is gone</source>
        <translation>缺失：文件已不存在</translation>
    </message>
    <message>
        <source>Damaged: delete and download again</source>
        <translation>已损坏：请删除后重新下载</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>%1 (recommended)</source>
        <translation>%1（推荐）</translation>
    </message>
    <message>
        <source>Estimated at %1 tokens of context</source>
        <translation>按 %1 个词元的上下文估算</translation>
    </message>
    <message>
        <source>%1 is no longer at %2.</source>
        <translation>%1 已不在 %2。</translation>
    </message>
    <message>
        <source>Remove “%1” from Hearth&apos;s list? The file itself stays where it is.</source>
        <translation>要从 Hearth 的列表中移除“%1”吗？文件本身会保留在原位置。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Delete “%1” (%2) from this computer?</source>
        <translation>要从这台电脑上删除“%1”（%2）吗？</translation>
    </message>
    <message>
        <source>Import GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>%1 tokens of context</source>
        <translation>上下文 %1 个词元</translation>
    </message>
    <message>
        <source>no chat template</source>
        <translation>无对话模板</translation>
    </message>
    <message>
        <source>Import “%1” (%2)? Copy it into Hearth&apos;s models folder, or use it where it is.</source>
        <translation>要导入“%1”（%2）吗？可以复制到 Hearth 的模型文件夹，也可以在原位置使用。</translation>
    </message>
    <message>
        <source>%1 is already being imported.</source>
        <translation>%1 已在导入中。</translation>
    </message>
    <message>
        <source>Hearth uses it where it is.</source>
        <translation>Hearth 将在原位置使用它。</translation>
    </message>
    <message>
        <source>It was copied into Hearth&apos;s models folder.</source>
        <translation>它已被复制到 Hearth 的模型文件夹。</translation>
    </message>
    <message>
        <source>Imported %1. %2</source>
        <translation>已导入 %1。%2</translation>
    </message>
    <message>
        <source>%1 could not be deleted: %2</source>
        <translation>无法删除 %1：%2</translation>
    </message>
    <message>
        <source>Removed %1 from the list; the file was left where it is.</source>
        <translation>已从列表中移除 %1，文件仍保留在原位置。</translation>
    </message>
    <message>
        <source>Deleted %1.</source>
        <translation>已删除 %1。</translation>
    </message>
    <message>
        <source>%1 is still busy; try again in a moment.</source>
        <translation>%1 仍在处理中，请稍后再试。</translation>
    </message>
    <message>
        <source>%1 is downloaded and verified.</source>
        <translation>%1 已下载并通过校验。</translation>
    </message>
    <message>
        <source>Copying %1: %2 of %3</source>
        <translation>正在复制 %1：%2 / %3</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>from %1</source>
        <translation>来自 %1</translation>
    </message>
    <message>
        <source>Offline mode is on: Hearth will not download. Turn it off in the settings.</source>
        <translation>离线模式已开启：Hearth 不会下载。可在设置中关闭离线模式。</translation>
    </message>
</context>
<context>
    <name>NetworkLogDialog</name>
    <message>
        <source>Network log</source>
        <translation>网络日志</translation>
    </message>
    <message>
        <source>Every network request Hearth made is listed here. All network access goes through this one place, so nothing else left this computer.</source>
        <translation>这里列出了 Hearth 发出的每一个网络请求。所有网络访问都经过这一个出口，因此没有其他数据离开过这台电脑。</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>接收</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>No network requests have been made.</source>
        <translation>尚未发出任何网络请求。</translation>
    </message>
    <message>
        <source>Clear log</source>
        <translation>清空日志</translation>
    </message>
    <message>
        <source>Clear the network log</source>
        <translation>清空网络日志</translation>
    </message>
</context>
<context>
    <name>ReasoningBlock</name>
    <message>
        <source>Reasoning</source>
        <extracomment>Messages are identified by the store&apos;s ids (strings).</extracomment>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>Show or hide the reasoning</source>
        <translation>显示或隐藏思考过程</translation>
    </message>
    <message numerus="yes">
        <source>Thinking… %n token(s) · %1 s</source>
        <translation>
            <numerusform>思考中… %n 个词元 · %1 秒</numerusform>
        </translation>
    </message>
    <message>
        <source>Thought for %1 s</source>
        <translation>思考了 %1 秒</translation>
    </message>
</context>
<context>
    <name>Render</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>图片</translation>
    </message>
</context>
<context>
    <name>SearchResultsModel</name>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Reasoning</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Untitled chat</source>
        <translation>未命名对话</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>Downloads &amp;&amp; privacy</source>
        <translation>下载与隐私</translation>
    </message>
    <message>
        <source>Automatic (%1)</source>
        <translation>自动（%1）</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>Automatic (%1 tokens)</source>
        <translation>自动（%1 个词元）</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 个词元</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Threads and context length apply the next time a model is loaded. A longer context remembers more of the chat but needs more memory.</source>
        <translation>线程数和上下文长度将在下次加载模型时生效。上下文越长，能记住的对话内容越多，但需要的内存也越多。</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>线程数：</translation>
    </message>
    <message>
        <source>Context length:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <source>Random seed each time</source>
        <translation>每次使用随机种子</translation>
    </message>
    <message>
        <source>Limit thinking to</source>
        <translation>思考上限</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>Stop thinking when the reasoning repeats itself</source>
        <translation>思考内容出现重复时停止思考</translation>
    </message>
    <message>
        <source>Optional. DeepSeek recommends none; for R1 models it is added to your first message.</source>
        <translation>可选。DeepSeek 建议不设置；对于 R1 模型，它会被加到你的第一条消息中。</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Maximum answer length</source>
        <translation>回答最大长度</translation>
    </message>
    <message>
        <source>Random seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Limit thinking</source>
        <translation>限制思考长度</translation>
    </message>
    <message>
        <source>Thinking budget</source>
        <translation>思考预算</translation>
    </message>
    <message>
        <source>Loop guard</source>
        <translation>循环检测</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <source>Top-p:</source>
        <translation>Top-p：</translation>
    </message>
    <message>
        <source>Top-k:</source>
        <translation>Top-k：</translation>
    </message>
    <message>
        <source>Min-p:</source>
        <translation>Min-p：</translation>
    </message>
    <message>
        <source>Repeat penalty:</source>
        <translation>重复惩罚：</translation>
    </message>
    <message>
        <source>Maximum answer length:</source>
        <translation>回答最大长度：</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>种子：</translation>
    </message>
    <message>
        <source>Thinking:</source>
        <translation>思考：</translation>
    </message>
    <message>
        <source>System prompt:</source>
        <translation>系统提示词：</translation>
    </message>
    <message>
        <source>Restore DeepSeek&apos;s recommended values</source>
        <translation>恢复 DeepSeek 推荐值</translation>
    </message>
    <message>
        <source>Restore recommended values</source>
        <translation>恢复推荐值</translation>
    </message>
    <message>
        <source>Use these answer settings for this chat only</source>
        <translation>仅在此对话中使用这些回答设置</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>A new language applies after Hearth restarts.</source>
        <translation>新的语言将在 Hearth 重启后生效。</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Offline mode: never use the network</source>
        <translation>离线模式：从不使用网络</translation>
    </message>
    <message>
        <source>Offline mode</source>
        <translation>离线模式</translation>
    </message>
    <message>
        <source>Fastest (test each source)</source>
        <translation>最快（逐个测试下载源）</translation>
    </message>
    <message>
        <source>Hugging Face</source>
        <translation>Hugging Face</translation>
    </message>
    <message>
        <source>Hugging Face mirror</source>
        <translation>Hugging Face 镜像</translation>
    </message>
    <message>
        <source>ModelScope (魔搭)</source>
        <translation>魔搭（ModelScope）</translation>
    </message>
    <message>
        <source>Preferred download source</source>
        <translation>首选下载源</translation>
    </message>
    <message>
        <source>Your own Hugging Face mirror</source>
        <translation>自定义 Hugging Face 镜像</translation>
    </message>
    <message>
        <source>Show the network log…</source>
        <translation>查看网络日志…</translation>
    </message>
    <message>
        <source>Show the network log</source>
        <translation>查看网络日志</translation>
    </message>
    <message>
        <source>Hearth only goes online to download models you ask for. It sends no telemetry, checks for no updates and uploads no crash reports.</source>
        <translation>Hearth 只会在下载你指定的模型时联网。它不发送遥测数据，不检查更新，也不上传崩溃报告。</translation>
    </message>
    <message>
        <source>Download from:</source>
        <translation>下载源：</translation>
    </message>
    <message>
        <source>Your own mirror:</source>
        <translation>自定义镜像：</translation>
    </message>
    <message>
        <source>Your own mirror must be an https:// address, so downloads stay encrypted.</source>
        <translation>自定义镜像必须是 https:// 地址，以确保下载过程加密。</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Chats</source>
        <extracomment>Typing pauses this long before a search runs. How long the Undo bar stays after a delete.</extracomment>
        <translation>对话</translation>
    </message>
    <message>
        <source>New chat</source>
        <extracomment>Replaceable in tests; same signature as QFileDialog.getSaveFileName. Replaceable in tests; same signature as QFileDialog.getOpenFileName.</extracomment>
        <translation>新对话</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>新对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Export all chats…</source>
        <translation>导出所有对话…</translation>
    </message>
    <message>
        <source>Import chats…</source>
        <translation>导入对话…</translation>
    </message>
    <message>
        <source>More actions</source>
        <translation>更多操作</translation>
    </message>
    <message>
        <source>Search all chats (Ctrl+K)</source>
        <translation>搜索所有对话（Ctrl+K）</translation>
    </message>
    <message>
        <source>Search all chats</source>
        <translation>搜索所有对话</translation>
    </message>
    <message>
        <source>Clear search</source>
        <translation>清除搜索</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>No chats yet. Start one with New chat.</source>
        <translation>还没有对话。点击“新对话”开始吧。</translation>
    </message>
    <message>
        <source>No chats yet</source>
        <translation>还没有对话</translation>
    </message>
    <message>
        <source>Search status</source>
        <translation>搜索状态</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>搜索结果</translation>
    </message>
    <message>
        <source>Deleted “%1”</source>
        <translation>已删除“%1”</translation>
    </message>
    <message>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Export all chats</source>
        <translation>导出所有对话</translation>
    </message>
    <message>
        <source>Import chats</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <source>Hearth JSON export (*.json);;All files (*)</source>
        <translation>Hearth JSON 导出文件 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Chat actions</source>
        <translation>对话操作</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>1 result</source>
        <translation>1 条结果</translation>
    </message>
    <message>
        <source>%1 results</source>
        <translation>%1 条结果</translation>
    </message>
    <message>
        <source>No chats match “%1”.</source>
        <translation>没有与“%1”匹配的对话。</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>HTML page (*.html)</source>
        <translation>HTML 网页 (*.html)</translation>
    </message>
    <message>
        <source>JSON, lossless (*.json)</source>
        <translation>JSON，无损 (*.json)</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>已保存到 %1</translation>
    </message>
    <message>
        <source>Imported 1 chat</source>
        <translation>已导入 1 个对话</translation>
    </message>
    <message>
        <source>Imported %1 chats</source>
        <translation>已导入 %1 个对话</translation>
    </message>
    <message>
        <source> (1 message).</source>
        <translation>（1 条消息）。</translation>
    </message>
    <message>
        <source> (%1 messages).</source>
        <translation>（%1 条消息）。</translation>
    </message>
    <message>
        <source>Skipped 1 chat already in your history.</source>
        <translation>已跳过 1 个已在历史记录中的对话。</translation>
    </message>
    <message>
        <source>Skipped %1 chats already in your history.</source>
        <translation>已跳过 %1 个已在历史记录中的对话。</translation>
    </message>
    <message>
        <source>1 chat was added as a copy because its id was taken.</source>
        <translation>有 1 个对话因 ID 已被占用，已作为副本添加。</translation>
    </message>
    <message>
        <source>%1 chats were added as copies because their ids were taken.</source>
        <translation>有 %1 个对话因 ID 已被占用，已作为副本添加。</translation>
    </message>
</context>
<context>
    <name>UndoBar</name>
    <message>
        <source>Deleted chat</source>
        <translation>已删除的对话</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>UserMessageWidget</name>
    <message>
        <source>Your message</source>
        <translation>你的消息</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Edit and resend</source>
        <translation>编辑并重新发送</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy message</source>
        <translation>复制消息</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete message</source>
        <translation>删除消息</translation>
    </message>
</context>
</TS>
