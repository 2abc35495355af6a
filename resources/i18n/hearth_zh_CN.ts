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
    <name>ApiTab</name>
    <message>
        <source>Serve the loaded model to other programs</source>
        <translation>向其他程序提供已加载的模型</translation>
    </message>
    <message>
        <source>Local API</source>
        <translation>本地 API</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Access token</source>
        <translation>访问令牌</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the access token</source>
        <translation>复制访问令牌</translation>
    </message>
    <message>
        <source>Save API chats to the chat list</source>
        <translation>将 API 对话保存到对话列表</translation>
    </message>
    <message>
        <source>Allowed web origins</source>
        <translation>允许的网页来源</translation>
    </message>
    <message>
        <source>Programs on this computer can use the model through an OpenAI-compatible API at http://127.0.0.1:&lt;port&gt;/v1 with the token above; a chat page opens at http://127.0.0.1:&lt;port&gt;/. Nothing is reachable from other computers. Web sites can use it only if you list their origin below.</source>
        <translation>本机上的程序可以凭上面的令牌，通过位于 http://127.0.0.1:&lt;port&gt;/v1 的 OpenAI 兼容 API 使用该模型；对话页面位于 http://127.0.0.1:&lt;port&gt;/。其他电脑无法访问。网站只有在下面列出其来源后才能使用它。</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <source>Token:</source>
        <translation>令牌：</translation>
    </message>
    <message>
        <source>Allowed web origins:</source>
        <translation>允许的网页来源：</translation>
    </message>
    <message>
        <source>Made when you turn the API on</source>
        <translation>开启 API 时生成</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
</context>
<context>
    <name>AssistantMessageWidget</name>
    <message>
        <source>Answer</source>
        <extracomment>A huge answer finished rendering block by block (see ``_render_in_steps``).</extracomment>
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
        <source>Good answer</source>
        <translation>好回答</translation>
    </message>
    <message>
        <source>Bad answer</source>
        <translation>差回答</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Add a note to the rating</source>
        <extracomment>The Library sources the answer&apos;s question carried (provenance records); the answer&apos;s [n] markers link to them (issue 15).</extracomment>
        <translation>为评分添加备注</translation>
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
    <name>AttachmentBar</name>
    <message>
        <source>Attach…</source>
        <extracomment>a sentence: why a file could not be attached extraction started (True) or all done (False)</extracomment>
        <translation>附加…</translation>
    </message>
    <message>
        <source>Attach files: text, Markdown, code, PDF, DOCX or HTML</source>
        <translation>附加文件：文本、Markdown、代码、PDF、DOCX 或 HTML</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>附加文件</translation>
    </message>
    <message>
        <source>Documents (*.txt *.md *.pdf *.docx *.html *.htm *.py *.js *.json *.csv);;All files (*)</source>
        <translation>文档 (*.txt *.md *.pdf *.docx *.html *.htm *.py *.js *.json *.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <source>At most %1 files can go with one message.</source>
        <translation>一条消息最多只能附加 %1 个文件。</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <source>Remove %1</source>
        <extracomment>At most this many files on one message.</extracomment>
        <translation>移除 %1</translation>
    </message>
    <message>
        <source>Attached file %1</source>
        <translation>已附加文件 %1</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>%1 tok/s</source>
        <extracomment>How often queued session events reach the widgets (30–50 ms keeps typing smooth). The stored answer at the end of a turn (None if it could not be saved); the window shows its knowledge sources from the provenance.</extracomment>
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
        <source>No model is loaded. Load a model first.</source>
        <translation>未加载模型。请先加载一个模型。</translation>
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
        <extracomment>The stats line under an answer (the controller&apos;s, where its translations live). Characters of (reasoning, answer) the live widget already shows.</extracomment>
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
    <name>ChatEngines</name>
    <message>
        <source>Message for %1. It leaves this computer when you send it.</source>
        <extracomment>A sentence for the user (an engine that was removed, say). What the host runs, as far as this object switched it.</extracomment>
        <translation>发给 %1 的消息。发送后它会离开这台电脑。</translation>
    </message>
    <message>
        <source>Send to %1</source>
        <translation>发送到 %1</translation>
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
    <name>ChatKnowledge</name>
    <message>
        <source>Library</source>
        <extracomment>a sentence for the window&apos;s message bar the user changed the Library&apos;s size limit (MB): for the settings Embedders replaced by another choice: an indexing task may still hold one, so they are closed at shutdown, not when replaced.</extracomment>
        <translation>资料库</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Conversation</source>
        <extracomment>an answer&apos;s [n] marker was clicked: (message id, source number n)</extracomment>
        <translation>对话内容</translation>
    </message>
</context>
<context>
    <name>ChatVotes</name>
    <message>
        <source>Hearth is still answering. Wait for it or press Stop, then ask again.</source>
        <extracomment>Asks the user for a rating note (None: cancelled); tests replace it.</extracomment>
        <translation>Hearth 仍在回答。请等待它完成或按“停止”，然后再提问。</translation>
    </message>
    <message>
        <source>Rating note</source>
        <translation>评分备注</translation>
    </message>
    <message>
        <source>A note on this answer (searchable, and exported with the dataset):</source>
        <translation>对此回答的备注（可搜索，并随数据集一起导出）：</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <source>Pinned</source>
        <extracomment>Item data roles shared by the two models. Date groups, in the order they appear. Conversation rows handed to the view at a time. The view lays out every row it is told about (two Python calls per row), so 10,000 chats are revealed as it scrolls. How many of ``_rows`` the view has been given (see LIST_BATCH). Called by an inline edit with (conversation id, new title); True if saved.</extracomment>
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
    <name>CoreErrors</name>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>The model file {path} does not exist. Check the path and try again.</source>
        <translation>模型文件 {path} 不存在。请检查路径后重试。</translation>
    </message>
    <message>
        <source>“{name}” could not be opened: {reason}. Check that the file is readable.</source>
        <translation>无法打开“{name}”：{reason}。请检查该文件是否可读。</translation>
    </message>
    <message>
        <source>“{name}” is a folder, not a GGUF model file. Choose the .gguf file inside it.</source>
        <translation>“{name}”是一个文件夹，不是 GGUF 模型文件。请选择其中的 .gguf 文件。</translation>
    </message>
    <message>
        <source>“{name}” is not a regular file (it is a {kind}), so Hearth does not read it as a model. Choose a .gguf file.</source>
        <translation>“{name}”不是普通文件（而是 {kind}），Hearth 不会把它当作模型读取。请选择一个 .gguf 文件。</translation>
    </message>
    <message>
        <source>“{name}” is empty (0 bytes). It is not a model; if it came from an interrupted download, download it again.</source>
        <translation>“{name}”是空文件（0 字节），不是模型；如果它来自一次中断的下载，请重新下载。</translation>
    </message>
    <message>
        <source>“{name}” could not be read: {reason}.</source>
        <translation>无法读取“{name}”：{reason}。</translation>
    </message>
    <message>
        <source>“{name}” is not a GGUF model file. Hearth needs a .gguf file (for example from Hugging Face); other formats such as .safetensors or .bin must be converted first.</source>
        <translation>“{name}”不是 GGUF 模型文件。Hearth 需要 .gguf 文件（例如来自 Hugging Face）；.safetensors 或 .bin 等其他格式须先转换。</translation>
    </message>
    <message>
        <source>“{name}” is too small to be a model ({size} bytes), so it is incomplete: the file is truncated. Download the model again or copy it again.</source>
        <translation>“{name}”太小（{size} 字节），不可能是模型，说明文件不完整：它被截断了。请重新下载或重新复制该模型。</translation>
    </message>
    <message>
        <source>“{name}” is incomplete (truncated: the file ends before its header does). It was probably not downloaded or copied completely; download the model again or copy it again.</source>
        <translation>“{name}”不完整（已截断：文件在其文件头结束之前就结束了）。它可能没有完整下载或复制；请重新下载或重新复制该模型。</translation>
    </message>
    <message>
        <source>“{name}” is incomplete (truncated: it holds {size:,} bytes but its tensors need {needed:,}). It was probably not downloaded or copied completely; download the model again or copy it again.</source>
        <translation>“{name}”不完整（已截断：文件只有 {size:,} 字节，但其张量需要 {needed:,} 字节）。它可能没有完整下载或复制；请重新下载或重新复制该模型。</translation>
    </message>
    <message>
        <source>“{name}” is damaged or unusual: its GGUF header is larger than {limit_mb} MB, more than Hearth reads. Get the file again.</source>
        <translation>“{name}”已损坏或不寻常：它的 GGUF 文件头超过 {limit_mb} MB，超出 Hearth 读取的上限。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” uses GGUF version {version}, which Hearth cannot read (it reads versions {supported}). Get a newer conversion of the model.</source>
        <translation>“{name}”使用 GGUF 版本 {version}，Hearth 无法读取（支持的版本：{supported}）。请获取该模型较新的转换版本。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable ({problem}). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（{problem}）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (it claims {count:,} tensors). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（声称有 {count:,} 个张量）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (it claims {count:,} keys). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（声称有 {count:,} 个键）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (a key name longer than 64 KB). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（有一个键名超过 64 KB）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (a tensor with {count:,} dimensions). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（有一个张量具有 {count:,} 个维度）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (a tensor dimension of {size:,}). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（有一个张量维度为 {size:,}）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (a tensor with an impossible number of elements). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（有一个张量的元素数量不可能成立）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (bad alignment). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（对齐值无效）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (unknown value type {type}). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（未知的值类型 {type}）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (unknown array item type {type}). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（未知的数组元素类型 {type}）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is damaged: its GGUF header is not readable (arrays nested more than {depth} deep). Get the file again.</source>
        <translation>“{name}”已损坏：无法读取其 GGUF 文件头（数组嵌套超过 {depth} 层）。请重新获取该文件。</translation>
    </message>
    <message>
        <source>“{name}” is a LoRA adapter, not a chat model. Choose the model&apos;s main .gguf file instead.</source>
        <translation>“{name}”是 LoRA 适配器，不是对话模型。请改选该模型的主 .gguf 文件。</translation>
    </message>
    <message>
        <source>“{name}” is a vision projector, not a chat model. Choose the model&apos;s main .gguf file instead.</source>
        <translation>“{name}”是视觉投影器，不是对话模型。请改选该模型的主 .gguf 文件。</translation>
    </message>
    <message>
        <source>“{name}” is an importance matrix, not a chat model. Choose the model&apos;s main .gguf file instead.</source>
        <translation>“{name}”是重要性矩阵，不是对话模型。请改选该模型的主 .gguf 文件。</translation>
    </message>
    <message>
        <source>“{name}” does not say what kind of model it is (no general.architecture), so Hearth cannot load it. Get a GGUF converted by a recent llama.cpp.</source>
        <translation>“{name}”没有说明它是哪种模型（缺少 general.architecture），Hearth 无法加载。请获取用较新版 llama.cpp 转换的 GGUF。</translation>
    </message>
    <message>
        <source>“{name}” is a “{architecture}” model, which cannot chat: it is an encoder, embedding, vision or diffusion model rather than a text generator. Choose a chat model such as DeepSeek-R1-Distill-Qwen.</source>
        <translation>“{name}”是“{architecture}”模型，不能对话：它是编码器、嵌入、视觉或扩散模型，而不是文本生成模型。请选择对话模型，例如 DeepSeek-R1-Distill-Qwen。</translation>
    </message>
    <message>
        <source>“{name}” has no tokenizer, so Hearth cannot chat with it. Choose a complete model file rather than a part or an adapter.</source>
        <translation>“{name}”没有分词器，Hearth 无法与它对话。请选择完整的模型文件，而不是分片或适配器。</translation>
    </message>
    <message>
        <source>No installed model is called “{name}”. Installed: {known}. Run “models list” to see them.</source>
        <translation>没有名为“{name}”的已安装模型。已安装：{known}。运行“models list”查看它们。</translation>
    </message>
    <message>
        <source>No installed model is called “{name}”. Run “models list” to see the names.</source>
        <translation>没有名为“{name}”的已安装模型。运行“models list”查看模型名称。</translation>
    </message>
    <message>
        <source>“{name}” is not a model name. Use the name shown by “models list”.</source>
        <translation>“{name}”不是模型名称。请使用“models list”显示的名称。</translation>
    </message>
    <message>
        <source>There is not enough free disk space to copy the model: it needs {needed} and {free} is free in {folder}. Free some space, or import the file in place instead of copying it.</source>
        <translation>磁盘空间不足，无法复制该模型：需要 {needed}，而 {folder} 中只有 {free} 可用。请释放一些空间，或改为原地导入该文件而不复制。</translation>
    </message>
    <message>
        <source>The disk filled up while copying {name}; nothing was installed. Free some space, or import the file in place instead.</source>
        <translation>复制 {name} 时磁盘已满；没有安装任何内容。请释放一些空间，或改为原地导入该文件。</translation>
    </message>
    <message>
        <source>Could not copy {name} into the models folder: {reason}.</source>
        <translation>无法将 {name} 复制到模型文件夹：{reason}。</translation>
    </message>
    <message>
        <source>{name} is no longer at {path}. Remove it from the list, or put the file back.</source>
        <translation>{name} 已不在 {path}。请将它从列表中移除，或把文件放回原处。</translation>
    </message>
    <message>
        <source>A model named “{name}” is already installed. Remove it first, or rename the file you are importing.</source>
        <translation>已安装名为“{name}”的模型。请先移除它，或重命名要导入的文件。</translation>
    </message>
    <message>
        <source>“{name}” is not named like a GGUF model: Hearth imports files whose name ends in .gguf. Convert or rename the file, then import it again.</source>
        <translation>“{name}”的文件名不像 GGUF 模型：Hearth 只导入名称以 .gguf 结尾的文件。请转换或重命名该文件，然后重新导入。</translation>
    </message>
    <message>
        <source>“{name}” is not named like a GGUF model: Hearth imports files whose name ends in .gguf. It looks like an unfinished download; let it finish first. Convert or rename the file, then import it again.</source>
        <translation>“{name}”的文件名不像 GGUF 模型：Hearth 只导入名称以 .gguf 结尾的文件。它看起来是未完成的下载，请等它下载完成。请转换或重命名该文件，然后重新导入。</translation>
    </message>
    <message>
        <source>“{name}” is a hidden file (its name starts with a dot). Rename it without the leading dot, then import it again.</source>
        <translation>“{name}”是隐藏文件（文件名以点开头）。请去掉开头的点重命名，然后重新导入。</translation>
    </message>
    <message>
        <source>“{name}” has a name Hearth cannot use for a model (it is empty or holds control characters). Rename the file, then import it again.</source>
        <translation>“{name}”的文件名无法用作模型名称（为空或包含控制字符）。请重命名该文件，然后重新导入。</translation>
    </message>
    <message>
        <source>The model could not be loaded: {reason}</source>
        <translation>无法加载模型：{reason}</translation>
    </message>
    <message>
        <source>{name} is not a GGUF model file (invalid magic). Hearth runs .gguf models.</source>
        <translation>{name} 不是 GGUF 模型文件（文件标识无效）。Hearth 运行 .gguf 模型。</translation>
    </message>
    <message>
        <source>{name} uses a model architecture ({arch}) that this version of Hearth cannot run (unknown architecture). Choose another GGUF file.</source>
        <translation>{name} 使用的模型架构（{arch}）本版本 Hearth 无法运行（未知架构）。请选择其他 GGUF 文件。</translation>
    </message>
    <message>
        <source>{name} uses a model architecture that this version of Hearth cannot run (unknown architecture). Choose another GGUF file.</source>
        <translation>{name} 使用的模型架构本版本 Hearth 无法运行（未知架构）。请选择其他 GGUF 文件。</translation>
    </message>
    <message>
        <source>The model file {name} is incomplete or damaged (the file is truncated). Download the model again.</source>
        <translation>模型文件 {name} 不完整或已损坏（文件被截断）。请重新下载该模型。</translation>
    </message>
    <message>
        <source>There is not enough memory to load {name}. Close other programs or choose a smaller model.</source>
        <translation>内存不足，无法加载 {name}。请关闭其他程序，或选择更小的模型。</translation>
    </message>
    <message>
        <source>Hearth could not load {name}: llama.cpp refused the file. The file may be damaged or need a newer version of Hearth.</source>
        <translation>Hearth 无法加载 {name}：llama.cpp 拒绝了该文件。文件可能已损坏，或需要更新版本的 Hearth。</translation>
    </message>
    <message>
        <source>Hearth could not load {name}: {reason}. The file may be damaged or need a newer version of Hearth.</source>
        <translation>Hearth 无法加载 {name}：{reason}。文件可能已损坏，或需要更新版本的 Hearth。</translation>
    </message>
    <message>
        <source>Could not convert {name} to {ftype}. Check the free disk space and that the file is a complete GGUF model.</source>
        <translation>无法将 {name} 转换为 {ftype}。请检查可用磁盘空间，并确认该文件是完整的 GGUF 模型。</translation>
    </message>
    <message>
        <source>The disk is full, so {name} could not be saved. Free some space and try again; the previous version is unchanged.</source>
        <translation>磁盘已满，无法保存 {name}。请释放一些空间后重试；之前的版本保持不变。</translation>
    </message>
    <message>
        <source>Could not save {path}: {reason}.</source>
        <translation>无法保存 {path}：{reason}。</translation>
    </message>
    <message>
        <source>There is no source to download {name} from.</source>
        <translation>没有可用于下载 {name} 的来源。</translation>
    </message>
    <message>
        <source>Could not download {name}: {reasons}. Check your connection or add another source, then try again.</source>
        <translation>无法下载 {name}：{reasons}。请检查网络连接或添加其他来源，然后重试。</translation>
    </message>
    <message>
        <source>Could not download {name}: {reasons}. The {downloaded} already downloaded are kept. Check your connection or add another source, then try again.</source>
        <translation>无法下载 {name}：{reasons}。已下载的 {downloaded} 会保留。请检查网络连接或添加其他来源，然后重试。</translation>
    </message>
    <message>
        <source>Could not download {name}: {reasons}. Nothing was installed. Try again later, or choose another source.</source>
        <translation>无法下载 {name}：{reasons}。没有安装任何内容。请稍后重试，或选择其他来源。</translation>
    </message>
    <message>
        <source>Could not download {name}: {reasons}. Nothing was installed. The {downloaded} already downloaded are kept. Try again later, or choose another source.</source>
        <translation>无法下载 {name}：{reasons}。没有安装任何内容。已下载的 {downloaded} 会保留。请稍后重试，或选择其他来源。</translation>
    </message>
    <message>
        <source>There is not enough free disk space to download {name}: it needs {needed} more plus {margin} to spare, but only {free} is free in {folder}. Free some space and try again.</source>
        <translation>磁盘空间不足，无法下载 {name}：还需要 {needed}，外加 {margin} 余量，但 {folder} 中只有 {free} 可用。请释放一些空间后重试。</translation>
    </message>
    <message>
        <source>The disk is full, so the download of {name} stopped at {downloaded}. Free some space and resume; the partial download is kept.</source>
        <translation>磁盘已满，{name} 的下载停在 {downloaded}。请释放一些空间后继续；已下载的部分会保留。</translation>
    </message>
    <message>
        <source>The disk is full, so the download of {name} stopped at {downloaded} of {total}. Free some space and resume; the partial download is kept.</source>
        <translation>磁盘已满，{name} 的下载停在 {downloaded}（共 {total}）。请释放一些空间后继续；已下载的部分会保留。</translation>
    </message>
    <message>
        <source>Could not write {name}: {reason}. The partial download is kept; check the models folder and try again.</source>
        <translation>无法写入 {name}：{reason}。已下载的部分会保留；请检查模型文件夹后重试。</translation>
    </message>
    <message>
        <source>{name} is already being downloaded by another Hearth window or command. Wait for it to finish there, or stop it there and try again.</source>
        <translation>{name} 正由另一个 Hearth 窗口或命令下载。请等它在那里完成，或在那里停止后重试。</translation>
    </message>
    <message>
        <source>Could not lock {name} for downloading: {reason}. Check that the models folder is writable.</source>
        <translation>无法锁定 {name} 以进行下载：{reason}。请检查模型文件夹是否可写。</translation>
    </message>
    <message>
        <source>Every source contradicts the catalog about {name}: {reasons}. Hearth stopped before downloading. The file may have been replaced upstream: update the catalog, or choose another source.</source>
        <translation>所有来源关于 {name} 的信息都与模型目录不符：{reasons}。Hearth 在下载前已停止。该文件可能已在上游被替换：请更新模型目录，或选择其他来源。</translation>
    </message>
    <message>
        <source>The source redirected too many times.</source>
        <translation>来源重定向次数过多。</translation>
    </message>
    <message>
        <source>The source answered HTTP {status}.</source>
        <translation>来源返回了 HTTP {status}。</translation>
    </message>
    <message>
        <source>ModelScope answered HTTP {status}.</source>
        <translation>ModelScope 返回了 HTTP {status}。</translation>
    </message>
    <message>
        <source>ModelScope sent a file list that is not JSON.</source>
        <translation>ModelScope 发来的文件列表不是 JSON。</translation>
    </message>
    <message>
        <source>ModelScope sent a file list Hearth does not understand.</source>
        <translation>ModelScope 发来的文件列表 Hearth 无法理解。</translation>
    </message>
    <message>
        <source>ModelScope does not list {name} in {repo}.</source>
        <translation>ModelScope 在 {repo} 中没有列出 {name}。</translation>
    </message>
    <message>
        <source>{mirror} publishes a different sha256 for {name} than the catalog pins ({found} instead of {pinned}). Hearth stopped before downloading. The file may have been replaced upstream: update the catalog, or choose another source.</source>
        <translation>{mirror} 发布的 {name} 的 sha256 与模型目录固定的不同（{found}，而不是 {pinned}）。Hearth 在下载前已停止。该文件可能已在上游被替换：请更新模型目录，或选择其他来源。</translation>
    </message>
    <message>
        <source>The sources disagree about the sha256 of {name} ({listing}), so Hearth cannot tell which file is right and stopped before downloading. Try again later, or pin a source.</source>
        <translation>各来源给出的 {name} 的 sha256 不一致（{listing}），Hearth 无法判断哪个文件正确，已在下载前停止。请稍后重试，或固定一个来源。</translation>
    </message>
    <message>
        <source>No source published a sha256 for {name}, so Hearth cannot verify the download and did not start it. Check your connection (or offline mode) and try again.</source>
        <translation>没有任何来源发布 {name} 的 sha256，Hearth 无法校验下载，因此没有开始。请检查网络连接（或离线模式）后重试。</translation>
    </message>
    <message>
        <source>{mirror} reports {name} as {size:,} bytes, but the catalog pins {pinned:,}. Hearth stopped before downloading: update the catalog, or choose another source.</source>
        <translation>{mirror} 报告 {name} 为 {size:,} 字节，但模型目录固定为 {pinned:,} 字节。Hearth 在下载前已停止：请更新模型目录，或选择其他来源。</translation>
    </message>
    <message>
        <source>The sources disagree about the size of {name} ({listing} bytes), so Hearth stopped before downloading. Try again later, or pin a source.</source>
        <translation>各来源给出的 {name} 的大小不一致（{listing} 字节），Hearth 已在下载前停止。请稍后重试，或固定一个来源。</translation>
    </message>
    <message>
        <source>“{name}” took longer than {seconds} s to read; it was skipped.</source>
        <translation>读取“{name}”超过 {seconds} 秒，已跳过。</translation>
    </message>
    <message>
        <source>“{name}” has a part that would decompress to an unsafe size; it was not read.</source>
        <translation>“{name}”中有部分内容解压后会过大，不安全，未读取。</translation>
    </message>
    <message>
        <source>“{name}” holds more text than Hearth reads from one file ({limit}).</source>
        <translation>“{name}”的文字超过 Hearth 从单个文件读取的上限（{limit}）。</translation>
    </message>
    <message>
        <source>“{name}” is a link to a file outside the folder, so it was not read.</source>
        <translation>“{name}”是指向文件夹外文件的链接，未读取。</translation>
    </message>
    <message>
        <source>“{path}” no longer exists.</source>
        <translation>“{path}”已不存在。</translation>
    </message>
    <message>
        <source>The model is busy with {limit} waiting requests. Try again in a moment.</source>
        <translation>模型正忙，已有 {limit} 个请求在等待。请稍后再试。</translation>
    </message>
    <message>
        <source>No model is loaded. Open a model file first.</source>
        <translation>未加载模型。请先打开一个模型文件。</translation>
    </message>
    <message>
        <source>Hearth was closing, so this request was not finished.</source>
        <translation>Hearth 正在关闭，因此这个请求没有完成。</translation>
    </message>
    <message>
        <source>Something went wrong. Try again.</source>
        <translation>出了点问题。请重试。</translation>
    </message>
    <message>
        <source>Generation stopped because of an error: {reason}</source>
        <translation>生成因错误而停止：{reason}</translation>
    </message>
    <message>
        <source>No model is loaded.</source>
        <translation>未加载模型。</translation>
    </message>
    <message>
        <source>The model has been unloaded. Load a model to continue.</source>
        <translation>模型已卸载。请加载模型后继续。</translation>
    </message>
    <message>
        <source>The model is still busy with another answer. Stop it first.</source>
        <translation>模型仍在生成另一个回答。请先停止它。</translation>
    </message>
    <message>
        <source>Hearth can sample at most {limit} answers at once.</source>
        <translation>Hearth 一次最多只能采样 {limit} 个回答。</translation>
    </message>
    <message>
        <source>Your message is too long for this model&apos;s context ({tokens} tokens, limit {limit}). Shorten it or raise the context length in Settings.</source>
        <translation>你的消息对该模型的上下文来说太长了（{tokens} 个词元，上限 {limit}）。请缩短消息，或在设置中调大上下文长度。</translation>
    </message>
    <message>
        <source>The model failed while reading the conversation. Try again; if it keeps failing, reload the model.</source>
        <translation>模型在读取对话时出错。请重试；如果一直失败，请重新加载模型。</translation>
    </message>
    <message>
        <source>The model failed while writing its answer. Try again; if it keeps failing, reload the model.</source>
        <translation>模型在撰写回答时出错。请重试；如果一直失败，请重新加载模型。</translation>
    </message>
    <message>
        <source>The model failed while writing its answers. Try again; if it keeps failing, reload the model.</source>
        <translation>模型在撰写多个回答时出错。请重试；如果一直失败，请重新加载模型。</translation>
    </message>
    <message>
        <source>The model failed while closing its reasoning. Try again.</source>
        <translation>模型在结束推理时出错。请重试。</translation>
    </message>
    <message>
        <source>The text could not be converted to tokens.</source>
        <translation>无法将文本转换为词元。</translation>
    </message>
    <message>
        <source>Another Hearth process owns this data folder ({folder}); wait for it to finish or close it.</source>
        <translation>另一个 Hearth 进程占用着此数据文件夹（{folder}）；请等它结束或将其关闭。</translation>
    </message>
    <message>
        <source>Hearth is open and owns this data folder ({folder}); close it or use the app.</source>
        <translation>Hearth 已打开并占用着此数据文件夹（{folder}）；请关闭它或直接使用该应用。</translation>
    </message>
    <message>
        <source>Hearth&apos;s API server (process {pid}) owns this data folder ({folder}); stop it, or send your request to it.</source>
        <translation>Hearth 的 API 服务器（进程 {pid}）占用着此数据文件夹（{folder}）；请停止它，或把请求发给它。</translation>
    </message>
    <message>
        <source>A &apos;hearth chat&apos; command (process {pid}) is writing to this data folder ({folder}); wait for it to finish.</source>
        <translation>一个“hearth chat”命令（进程 {pid}）正在写入此数据文件夹（{folder}）；请等它结束。</translation>
    </message>
    <message>
        <source>A chat import (process {pid}) is writing to this data folder ({folder}); wait for it to finish.</source>
        <translation>一个对话导入（进程 {pid}）正在写入此数据文件夹（{folder}）；请等它结束。</translation>
    </message>
    <message>
        <source>Another Hearth process ({pid}) owns this data folder ({folder}); wait for it to finish or close it.</source>
        <translation>另一个 Hearth 进程（{pid}）占用着此数据文件夹（{folder}）；请等它结束或将其关闭。</translation>
    </message>
    <message>
        <source>This chat&apos;s remote engine was removed. Pick another engine for the chat.</source>
        <translation>此对话使用的远程引擎已被移除。请为该对话选择另一个引擎。</translation>
    </message>
    <message>
        <source>The engine list could not be saved: {reason}</source>
        <translation>无法保存引擎列表：{reason}</translation>
    </message>
    <message>
        <source>The message is empty.</source>
        <translation>消息是空的。</translation>
    </message>
    <message>
        <source>This message has no question to answer again.</source>
        <translation>这条消息没有可以重新回答的问题。</translation>
    </message>
    <message>
        <source>Only your own messages can be edited.</source>
        <translation>只能编辑你自己的消息。</translation>
    </message>
    <message>
        <source>Only an answer can be continued.</source>
        <translation>只能继续生成回答。</translation>
    </message>
    <message>
        <source>Open a chat to summarise first.</source>
        <translation>请先打开一个对话，再进行总结。</translation>
    </message>
    <message>
        <source>No model is loaded. Load a model first.</source>
        <translation>未加载模型。请先加载一个模型。</translation>
    </message>
    <message>
        <source>Hearth is still answering. Wait for it or press Stop, then send again.</source>
        <translation>Hearth 仍在回答。请等待它完成或按“停止”，然后再发送。</translation>
    </message>
    <message>
        <source>A vote takes between 2 and {limit} samples.</source>
        <translation>投票需要 2 到 {limit} 个样本。</translation>
    </message>
    <message>
        <source>This vote has already started.</source>
        <translation>这次投票已经开始了。</translation>
    </message>
    <message>
        <source>Load a model first, then ask again.</source>
        <translation>请先加载模型，然后再提问。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template refused this conversation ({reason}). Start a new chat or use another model.</source>
        <translation>模型的对话模板拒绝了此对话（{reason}）。请开始新对话或使用其他模型。</translation>
    </message>
    <message>
        <source>This model&apos;s chat template is broken, so Hearth cannot format the conversation. Use another copy of this model.</source>
        <translation>此模型的对话模板已损坏，Hearth 无法格式化对话。请使用该模型的其他副本。</translation>
    </message>
    <message>
        <source>Only an assistant answer can be continued. Send a new message instead.</source>
        <translation>只能继续助手的回答。请改为发送新消息。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template took too much time or memory and was stopped. Use another copy of this model.</source>
        <translation>模型的对话模板耗费了过多时间或内存，已被中止。请使用该模型的其他副本。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template tried to do something unsafe and was blocked. Use another copy of this model.</source>
        <translation>模型的对话模板试图执行不安全的操作，已被阻止。请使用该模型的其他副本。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template failed while formatting the conversation. Use another copy of this model.</source>
        <translation>模型的对话模板在格式化对话时出错。请使用该模型的其他副本。</translation>
    </message>
    <message>
        <source>Hearth cannot create its folder {folder} ({reason}). Check the permissions of its parent folder, or choose another place with --data-dir.</source>
        <translation>Hearth 无法创建它的文件夹 {folder}（{reason}）。请检查其上级文件夹的权限，或用 --data-dir 选择其他位置。</translation>
    </message>
    <message>
        <source>Hearth cannot use {folder}: it is not a folder. Move it away, or choose another place with --data-dir.</source>
        <translation>Hearth 无法使用 {folder}：它不是文件夹。请将它移走，或用 --data-dir 选择其他位置。</translation>
    </message>
    <message>
        <source>Hearth cannot make its folder {folder} private ({reason}). It may belong to another user: fix its owner, or choose another place with --data-dir.</source>
        <translation>Hearth 无法将它的文件夹 {folder} 设为私有（{reason}）。它可能属于其他用户：请修正其所有者，或用 --data-dir 选择其他位置。</translation>
    </message>
    <message>
        <source>Hearth cannot write to its folder {folder}. Fix its permissions, or choose another place with --data-dir.</source>
        <translation>Hearth 无法写入它的文件夹 {folder}。请修正其权限，或用 --data-dir 选择其他位置。</translation>
    </message>
    <message>
        <source>Hearth could not save your settings to {path}. Check that the folder is writable and the disk is not full.</source>
        <translation>Hearth 无法将设置保存到 {path}。请检查该文件夹是否可写，以及磁盘是否已满。</translation>
    </message>
    <message>
        <source>Hearth is offline; turn off offline mode to download.</source>
        <translation>Hearth 处于离线模式；要下载，请关闭离线模式。</translation>
    </message>
    <message>
        <source>The request to {host} failed.</source>
        <translation>对 {host} 的请求失败。</translation>
    </message>
    <message>
        <source>Connecting to {host} timed out. Check your connection and try again.</source>
        <translation>连接 {host} 超时。请检查网络连接后重试。</translation>
    </message>
    <message>
        <source>Could not connect to {host}. Check your connection and try again.</source>
        <translation>无法连接到 {host}。请检查网络连接后重试。</translation>
    </message>
    <message>
        <source>{host} stopped sending data.</source>
        <translation>{host} 停止发送数据。</translation>
    </message>
    <message>
        <source>{host} timed out.</source>
        <translation>{host} 超时。</translation>
    </message>
    <message>
        <source>The connection to {host} dropped.</source>
        <translation>与 {host} 的连接已断开。</translation>
    </message>
    <message>
        <source>The security certificate of {host} could not be verified, so Hearth did not connect. Use another source.</source>
        <translation>无法验证 {host} 的安全证书，因此 Hearth 没有连接。请使用其他来源。</translation>
    </message>
    <message>
        <source>The download address redirected too many times.</source>
        <translation>下载地址重定向次数过多。</translation>
    </message>
    <message>
        <source>That download address is not a valid URL.</source>
        <translation>该下载地址不是有效的 URL。</translation>
    </message>
    <message>
        <source>The transfer was stopped.</source>
        <translation>传输已停止。</translation>
    </message>
    <message>
        <source>The certificate file {path} could not be read. Choose a PEM file with the server&apos;s CA certificate.</source>
        <translation>无法读取证书文件 {path}。请选择包含服务器 CA 证书的 PEM 文件。</translation>
    </message>
    <message>
        <source>{host} redirected to an address that is not valid. Use another source.</source>
        <translation>{host} 重定向到一个无效的地址。请使用其他来源。</translation>
    </message>
    <message>
        <source>{host} redirected to an insecure (non-https) address, so Hearth stopped. Use another source.</source>
        <translation>{host} 重定向到一个不安全的（非 https）地址，因此 Hearth 已停止。请使用其他来源。</translation>
    </message>
    <message>
        <source>{host} sent an unexpectedly large answer.</source>
        <translation>{host} 发来的回应大得出乎意料。</translation>
    </message>
    <message>
        <source>{host} sent more than Hearth accepts in one answer, so it stopped reading.</source>
        <translation>{host} 在一次回应中发送的内容超出了 Hearth 的接受上限，因此已停止读取。</translation>
    </message>
    <message>
        <source>{host} did not answer with an event stream.</source>
        <translation>{host} 没有以事件流的形式回应。</translation>
    </message>
    <message>
        <source>“{name}” is not a format Hearth can read.</source>
        <translation>“{name}”不是 Hearth 能读取的格式。</translation>
    </message>
    <message>
        <source>“{name}” contains no text.</source>
        <translation>“{name}”不含任何文本。</translation>
    </message>
    <message>
        <source>“{name}” changed while it was indexed; it will be indexed again next time.</source>
        <translation>“{name}”在建立索引期间发生了变化；下次会重新为它建立索引。</translation>
    </message>
    <message>
        <source>“{name}” cannot be read.</source>
        <translation>无法读取“{name}”。</translation>
    </message>
    <message>
        <source>“{name}” was deleted or moved while it was indexed.</source>
        <translation>“{name}”在建立索引期间被删除或移动了。</translation>
    </message>
    <message>
        <source>“{name}” cannot be used as an embedding model.</source>
        <translation>“{name}”不能用作嵌入模型。</translation>
    </message>
    <message>
        <source>A text could not be converted to tokens.</source>
        <translation>有一段文本无法转换为词元。</translation>
    </message>
    <message>
        <source>The embedding model failed.</source>
        <translation>嵌入模型出错。</translation>
    </message>
    <message>
        <source>The embedding model is closed.</source>
        <translation>嵌入模型已关闭。</translation>
    </message>
    <message>
        <source>The embedding model returned no vector.</source>
        <translation>嵌入模型没有返回向量。</translation>
    </message>
    <message>
        <source>A collection needs a name.</source>
        <translation>文档集需要一个名称。</translation>
    </message>
    <message>
        <source>There is no collection named “{name}”.</source>
        <translation>没有名为“{name}”的文档集。</translation>
    </message>
    <message>
        <source>The document index could not be opened. Delete it in the Library to rebuild it.</source>
        <translation>无法打开文档索引。请在资料库中删除它以重新建立。</translation>
    </message>
    <message>
        <source>The disk is full, so indexing stopped. The index is intact; free some space and index again to continue.</source>
        <translation>磁盘已满，索引已停止。索引完好无损；请释放一些空间后再次建立索引以继续。</translation>
    </message>
    <message>
        <source>“{name}” is not a regular file.</source>
        <translation>“{name}”不是普通文件。</translation>
    </message>
    <message>
        <source>“{name}” cannot be read: permission denied.</source>
        <translation>无法读取“{name}”：权限不足。</translation>
    </message>
    <message>
        <source>“{name}” is larger than the size limit ({size} &gt; {limit}). Raise the limit in the Library to include it.</source>
        <translation>“{name}”超过了大小上限（{size} &gt; {limit}）。请在资料库中调高上限以包含它。</translation>
    </message>
    <message>
        <source>“{name}” is larger than the size limit ({limit}).</source>
        <translation>“{name}”超过了大小上限（{limit}）。</translation>
    </message>
    <message>
        <source>“{name}” is a symbolic link that loops back on itself.</source>
        <translation>“{name}”是一个指向自身的循环符号链接。</translation>
    </message>
    <message>
        <source>“{name}” was deleted or moved while reading it.</source>
        <translation>“{name}”在读取期间被删除或移动了。</translation>
    </message>
    <message>
        <source>“{name}” looks like a binary file, not text.</source>
        <translation>“{name}”看起来是二进制文件，不是文本。</translation>
    </message>
    <message>
        <source>“{name}” is not text in any encoding Hearth knows.</source>
        <translation>“{name}”不是 Hearth 所知任何编码的文本。</translation>
    </message>
    <message>
        <source>“{name}” is password-protected. Save an unprotected copy to include it.</source>
        <translation>“{name}”受密码保护。请保存一份未加密的副本以包含它。</translation>
    </message>
    <message>
        <source>“{name}” contains a DTD, which DOCX never needs.</source>
        <translation>“{name}”包含 DTD，而 DOCX 从不需要它。</translation>
    </message>
    <message>
        <source>“{name}” has no text layer (it is probably scanned). OCR is not supported.</source>
        <translation>“{name}”没有文本层（可能是扫描件）。不支持 OCR。</translation>
    </message>
    <message>
        <source>“{name}” is not a valid DOCX file (it is damaged).</source>
        <translation>“{name}”不是有效的 DOCX 文件（已损坏）。</translation>
    </message>
    <message>
        <source>“{name}” is not a Word document (no document.xml inside).</source>
        <translation>“{name}”不是 Word 文档（其中没有 document.xml）。</translation>
    </message>
    <message>
        <source>“{name}” would inflate to an unsafe size; it was not opened.</source>
        <translation>“{name}”解压后会达到不安全的大小；没有打开它。</translation>
    </message>
    <message>
        <source>“{name}” inflates to an unsafe size; it was not opened.</source>
        <translation>“{name}”解压后达到不安全的大小；没有打开它。</translation>
    </message>
    <message>
        <source>“{name}” is damaged (its text cannot be parsed).</source>
        <translation>“{name}”已损坏（无法解析其文本）。</translation>
    </message>
    <message>
        <source>“{name}” is damaged.</source>
        <translation>“{name}”已损坏。</translation>
    </message>
    <message>
        <source>“{name}” has {count} pages; Hearth reads at most {limit}.</source>
        <translation>“{name}”有 {count} 页；Hearth 最多读取 {limit} 页。</translation>
    </message>
    <message>
        <source>“{name}” is a damaged PDF.</source>
        <translation>“{name}”是损坏的 PDF。</translation>
    </message>
    <message>
        <source>Could not write the dataset in {folder}: {reason}.</source>
        <translation>无法在 {folder} 中写入数据集：{reason}。</translation>
    </message>
    <message>
        <source>The disk is full, so the dataset {name} could not be written. Free some space and export again; no partial file was left under that name.</source>
        <translation>磁盘已满，无法写入数据集 {name}。请释放一些空间后重新导出；不会留下同名的不完整文件。</translation>
    </message>
    <message>
        <source>This dataset was already closed.</source>
        <translation>此数据集已经关闭。</translation>
    </message>
    <message>
        <source>The dataset card could not be written: {reason}</source>
        <translation>无法写入数据集说明卡：{reason}</translation>
    </message>
    <message>
        <source>The prompt file {path} cannot be read: {reason}.</source>
        <translation>无法读取提示词文件 {path}：{reason}。</translation>
    </message>
    <message>
        <source>This remote engine was closed.</source>
        <translation>此远程引擎已关闭。</translation>
    </message>
    <message>
        <source>{name} ({host}) ended the answer early, without saying it was done. What arrived is kept; press Continue to finish it.</source>
        <translation>{name}（{host}）没有表明回答已完成就提前结束了。已收到的内容会保留；按“继续”即可完成它。</translation>
    </message>
    <message>
        <source>{name} ({host}) sent a longer answer than Hearth accepts, so it stopped reading. What arrived is kept.</source>
        <translation>{name}（{host}）发来的回答超出了 Hearth 的接受上限，因此已停止读取。已收到的内容会保留。</translation>
    </message>
    <message>
        <source>{name} ({host}) sent more than Hearth accepts in one answer, so it stopped reading. What arrived is kept.</source>
        <translation>{name}（{host}）在一次回应中发送的内容超出了 Hearth 的接受上限，因此已停止读取。已收到的内容会保留。</translation>
    </message>
    <message>
        <source>The request to {host} failed: {reason}</source>
        <translation>对 {host} 的请求失败：{reason}</translation>
    </message>
    <message>
        <source>Hearth is offline, and {name} ({host}) is on another machine. Turn off offline mode, or pick a model on this computer.</source>
        <translation>Hearth 处于离线模式，而 {name}（{host}）在另一台机器上。请关闭离线模式，或选择这台电脑上的模型。</translation>
    </message>
    <message>
        <source>{name} ({host}) failed while answering (HTTP {status}). Try again; if it keeps failing, look at the server&apos;s log.</source>
        <translation>{name}（{host}）在回答时出错（HTTP {status}）。请重试；如果一直失败，请查看服务器日志。</translation>
    </message>
    <message>
        <source>{host} answered, but not the way an OpenAI-compatible server does. Check the address and the server kind in Settings › Engines.</source>
        <translation>{host} 有回应，但不像 OpenAI 兼容服务器那样回应。请在“设置 › 引擎”中检查地址和服务器类型。</translation>
    </message>
    <message>
        <source>Enter the server&apos;s address, for example http://192.168.1.20:8080/v1.</source>
        <translation>请输入服务器地址，例如 http://192.168.1.20:8080/v1.</translation>
    </message>
    <message>
        <source>“{text}” is not a web address Hearth can use. It should look like http://192.168.1.20:8080/v1.</source>
        <translation>“{text}”不是 Hearth 能使用的网址。它应该形如 http://192.168.1.20:8080/v1.</translation>
    </message>
    <message>
        <source>The port in “{text}” is not a number between 1 and 65535.</source>
        <translation>“{text}”中的端口不是 1 到 65535 之间的数字。</translation>
    </message>
    <message>
        <source>Leave the user name and password out of the address; put the key in the API key field instead.</source>
        <translation>请不要在地址中包含用户名和密码；请把密钥填在“API 密钥”栏中。</translation>
    </message>
    <message>
        <source>{name} ({host}) stopped sending in the middle of the answer. What arrived is kept; press Continue to finish it.</source>
        <translation>{name}（{host}）在回答中途停止发送。已收到的内容会保留；按“继续”即可完成它。</translation>
    </message>
    <message>
        <source>{name} ({host}) dropped the connection in the middle of the answer. What arrived is kept; press Continue to finish it.</source>
        <translation>{name}（{host}）在回答中途断开了连接。已收到的内容会保留；按“继续”即可完成它。</translation>
    </message>
    <message>
        <source>The certificate of {host} could not be verified, so Hearth did not connect. If the server uses its own certificate authority, choose its CA file in Settings › Engines.</source>
        <translation>无法验证 {host} 的证书，因此 Hearth 没有连接。如果该服务器使用自己的证书颁发机构，请在“设置 › 引擎”中选择它的 CA 文件。</translation>
    </message>
    <message>
        <source>Hearth could not find a server named “{server}”. Check the address in Settings › Engines.</source>
        <translation>Hearth 找不到名为“{server}”的服务器。请在“设置 › 引擎”中检查地址。</translation>
    </message>
    <message>
        <source>Nothing answered at {host}. Check that the server is running and the address and port are right.</source>
        <translation>{host} 上没有任何回应。请确认服务器正在运行，且地址和端口正确。</translation>
    </message>
    <message>
        <source>{host} did not answer within {seconds:g} s. Check the address, or raise the connect timeout in Settings › Engines.</source>
        <translation>{host} 在 {seconds:g} 秒内没有回应。请检查地址，或在“设置 › 引擎”中调大连接超时。</translation>
    </message>
    <message>
        <source>{host} accepted the request but sent nothing for {seconds:g} s. The server may be overloaded; try again, or raise the read timeout in Settings › Engines.</source>
        <translation>{host} 接受了请求，但 {seconds:g} 秒内没有发送任何内容。服务器可能负载过重；请重试，或在“设置 › 引擎”中调大读取超时。</translation>
    </message>
    <message>
        <source>The connection to {host} dropped before the answer started. Try again.</source>
        <translation>在回答开始前，与 {host} 的连接已断开。请重试。</translation>
    </message>
    <message>
        <source>{name} ({host}) refused no API key (HTTP {status}). Check the key in Settings › Engines.</source>
        <translation>{name}（{host}）拒绝了没有 API 密钥的请求（HTTP {status}）。请在“设置 › 引擎”中检查密钥。</translation>
    </message>
    <message>
        <source>{name} ({host}) refused the API key (HTTP {status}). Check the key in Settings › Engines.</source>
        <translation>{name}（{host}）拒绝了该 API 密钥（HTTP {status}）。请在“设置 › 引擎”中检查密钥。</translation>
    </message>
    <message>
        <source>{name} ({host}) is busy with other requests. Try again in a moment.</source>
        <translation>{name}（{host}）正忙于处理其他请求。请稍后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) is busy with other requests. Try again in {seconds} s.</source>
        <translation>{name}（{host}）正忙于处理其他请求。请在 {seconds} 秒后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) is busy with other requests. Try again in {minutes} minutes.</source>
        <translation>{name}（{host}）正忙于处理其他请求。请在 {minutes} 分钟后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) is not ready to answer (it may still be loading its model). Try again in a moment.</source>
        <translation>{name}（{host}）还不能回答（可能仍在加载模型）。请稍后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) is not ready to answer (it may still be loading its model). Try again in {seconds} s.</source>
        <translation>{name}（{host}）还不能回答（可能仍在加载模型）。请在 {seconds} 秒后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) is not ready to answer (it may still be loading its model). Try again in {minutes} minutes.</source>
        <translation>{name}（{host}）还不能回答（可能仍在加载模型）。请在 {minutes} 分钟后再试。</translation>
    </message>
    <message>
        <source>{name} ({host}) does not serve the model “{model}”. Pick one of its models in Settings › Engines.</source>
        <translation>{name}（{host}）不提供模型“{model}”。请在“设置 › 引擎”中选择它的某个模型。</translation>
    </message>
    <message>
        <source>The conversation is too long for “{model}” on {host}. Start a new chat, or use File › Summarise and continue.</source>
        <translation>对于 {host} 上的“{model}”，此对话太长了。请开始新对话，或使用“文件 › 总结并在新对话中继续”。</translation>
    </message>
    <message>
        <source>{host} has no OpenAI-compatible chat API at {path}. Check the address in Settings › Engines (it usually ends in /v1).</source>
        <translation>{host} 在 {path} 没有 OpenAI 兼容的对话 API。请在“设置 › 引擎”中检查地址（通常以 /v1 结尾）。</translation>
    </message>
    <message>
        <source>{host} sent the request elsewhere ({target}). Use that address in Settings › Engines.</source>
        <translation>{host} 把请求转到了别处（{target}）。请在“设置 › 引擎”中使用该地址。</translation>
    </message>
    <message>
        <source>{host} sent the request elsewhere (another address). Use that address in Settings › Engines.</source>
        <translation>{host} 把请求转到了别处（另一个地址）。请在“设置 › 引擎”中使用该地址。</translation>
    </message>
    <message>
        <source>{name} ({host}) refused the request (HTTP {status}).</source>
        <translation>{name}（{host}）拒绝了请求（HTTP {status}）。</translation>
    </message>
    <message>
        <source>{name} ({host}) refused the request (HTTP {status}): {said}</source>
        <translation>{name}（{host}）拒绝了请求（HTTP {status}）：{said}</translation>
    </message>
    <message>
        <source>{host} answered with a web page, not with an OpenAI-compatible API. Check the address in Settings › Engines (it usually ends in /v1).</source>
        <translation>{host} 返回的是网页，而不是 OpenAI 兼容的 API。请在“设置 › 引擎”中检查地址（通常以 /v1 结尾）。</translation>
    </message>
    <message>
        <source>{host} started sending data Hearth cannot read in the middle of the answer. What arrived is kept.</source>
        <translation>{host} 在回答中途开始发送 Hearth 无法读取的数据。已收到的内容会保留。</translation>
    </message>
    <message>
        <source>Reading the answer from {host} failed.</source>
        <translation>读取来自 {host} 的回答失败。</translation>
    </message>
    <message>
        <source>{name} ({host}) stopped with an error: {said}</source>
        <translation>{name}（{host}）因错误而停止：{said}</translation>
    </message>
    <message>
        <source>The disk is full, so the chat could not be saved. Free some space and try again; everything saved before is safe.</source>
        <translation>磁盘已满，无法保存对话。请释放一些空间后重试；之前保存的内容都是安全的。</translation>
    </message>
    <message>
        <source>The chat history at {path} was saved by a newer version of Hearth, so this version will not change it. Update Hearth to use it, or open it read-only.</source>
        <translation>位于 {path} 的对话记录是由更新版本的 Hearth 保存的，本版本不会修改它。请更新 Hearth 后使用，或以只读方式打开。</translation>
    </message>
    <message>
        <source>Hearth could not open its chat history at {path}. Check that the folder exists, that you may write to it and that the disk is not full.</source>
        <translation>Hearth 无法打开位于 {path} 的对话记录。请检查该文件夹是否存在、你是否有写入权限，以及磁盘是否已满。</translation>
    </message>
    <message>
        <source>The chat history file {path} is damaged. Restart Hearth to repair it; the damaged file will be kept beside the new one.</source>
        <translation>对话记录文件 {path} 已损坏。请重新启动 Hearth 进行修复；损坏的文件会保留在新文件旁边。</translation>
    </message>
    <message>
        <source>Hearth cannot write to its chat history at {path}. Check that you may write to that folder.</source>
        <translation>Hearth 无法写入位于 {path} 的对话记录。请检查你是否有该文件夹的写入权限。</translation>
    </message>
    <message>
        <source>The chat history is busy in another Hearth window or command. Try again in a moment.</source>
        <translation>对话记录正被另一个 Hearth 窗口或命令使用。请稍后再试。</translation>
    </message>
    <message>
        <source>Hearth could not read or save the chat history. Try again; if it keeps happening, restart Hearth.</source>
        <translation>Hearth 无法读取或保存对话记录。请重试；如果问题持续，请重新启动 Hearth。</translation>
    </message>
    <message>
        <source>Hearth cannot write its chat history in {folder}. Check that the folder exists and that you may write to it, or start Hearth with --data-dir pointing to another folder.</source>
        <translation>Hearth 无法在 {folder} 中写入对话记录。请检查该文件夹是否存在、你是否有写入权限，或使用 --data-dir 指定另一个文件夹启动 Hearth。</translation>
    </message>
    <message>
        <source>The chat history at {path} is open read-only, so changes cannot be saved.</source>
        <translation>位于 {path} 的对话记录以只读方式打开，无法保存更改。</translation>
    </message>
    <message>
        <source>There is no chat history at {path}.</source>
        <translation>{path} 处没有对话记录。</translation>
    </message>
    <message>
        <source>The chat history at {path} is from an older Hearth and must be upgraded before it can be read; open it normally once.</source>
        <translation>位于 {path} 的对话记录来自旧版 Hearth，需要升级后才能读取；请先以正常方式打开一次。</translation>
    </message>
    <message>
        <source>These settings or details are too large to save.</source>
        <translation>这些设置或详情太大，无法保存。</translation>
    </message>
    <message>
        <source>This conversation no longer exists; it may have been deleted.</source>
        <translation>该对话已不存在，可能已被删除。</translation>
    </message>
    <message>
        <source>This message no longer exists; it may have been deleted.</source>
        <translation>该消息已不存在，可能已被删除。</translation>
    </message>
    <message>
        <source>This answer is too long to save (more than {limit:,} characters).</source>
        <translation>该回答太长，无法保存（超过 {limit:,} 个字符）。</translation>
    </message>
    <message>
        <source>This reasoning is too long to save (more than {limit:,} characters).</source>
        <translation>该推理内容太长，无法保存（超过 {limit:,} 个字符）。</translation>
    </message>
    <message>
        <source>This message is too long to save (more than {limit:,} characters).</source>
        <translation>该消息太长，无法保存（超过 {limit:,} 个字符）。</translation>
    </message>
    <message>
        <source>This note is too long to save (more than {limit:,} characters).</source>
        <translation>该备注太长，无法保存（超过 {limit:,} 个字符）。</translation>
    </message>
    <message>
        <source>The time in “{field}” is not a usable date, so this conversation was not added.</source>
        <translation>“{field}”中的时间不是有效日期，因此没有添加此对话。</translation>
    </message>
    <message>
        <source>The id in “{field}” is not usable, so this conversation was not added.</source>
        <translation>“{field}”中的 ID 不可用，因此没有添加此对话。</translation>
    </message>
    <message>
        <source>The conversation “{title}” could not be added because one of its ids is already in use.</source>
        <translation>无法添加对话“{title}”，因为它的某个 ID 已被使用。</translation>
    </message>
    <message>
        <source>Two messages of this conversation have the same id.</source>
        <translation>此对话中有两条消息的 ID 相同。</translation>
    </message>
    <message>
        <source>The message “{field}” answers a message that is not in its conversation.</source>
        <translation>消息“{field}”回复的消息不在它所属的对话中。</translation>
    </message>
    <message>
        <source>The role in “{field}.role” is not user, assistant or system.</source>
        <translation>“{field}.role”中的角色不是 user、assistant 或 system。</translation>
    </message>
    <message>
        <source>The state in “{field}.state” is not known.</source>
        <translation>“{field}.state”中的状态无法识别。</translation>
    </message>
    <message>
        <source>The messages of this conversation answer each other in a circle.</source>
        <translation>此对话中的消息相互回复，形成了循环。</translation>
    </message>
    <message>
        <source>This file cannot be imported: the field “{field}” {problem}. Nothing was imported.</source>
        <translation>无法导入此文件：字段“{field}”{problem}。没有导入任何内容。</translation>
    </message>
    <message>
        <source>Could not read {path}: it is missing, unreadable or not a text file.</source>
        <translation>无法读取 {path}：文件不存在、不可读或不是文本文件。</translation>
    </message>
    <message>
        <source>{name} is not a regular file, so it cannot be imported.</source>
        <translation>{name} 不是普通文件，无法导入。</translation>
    </message>
    <message>
        <source>{name} is too large to be a Hearth chat export.</source>
        <translation>{name} 太大，不可能是 Hearth 对话导出文件。</translation>
    </message>
    <message>
        <source>{name} is too large to be a Hearth chat export (more than {limit_mb} MB).</source>
        <translation>{name} 太大，不可能是 Hearth 对话导出文件（超过 {limit_mb} MB）。</translation>
    </message>
    <message>
        <source>{name} is not a Hearth JSON export (it is nested too deeply).</source>
        <translation>{name} 不是 Hearth 的 JSON 导出文件（嵌套层级过深）。</translation>
    </message>
    <message>
        <source>{name} is not a Hearth JSON export (it is not valid JSON).</source>
        <translation>{name} 不是 Hearth 的 JSON 导出文件（不是有效的 JSON）。</translation>
    </message>
    <message>
        <source>This file is not a Hearth chat export: it has no list of conversations.</source>
        <translation>此文件不是 Hearth 对话导出文件：其中没有对话列表。</translation>
    </message>
    <message>
        <source>This file is not a Hearth chat export: it has no version.</source>
        <translation>此文件不是 Hearth 对话导出文件：其中没有版本号。</translation>
    </message>
    <message>
        <source>This export was made by a newer version of Hearth (format {version}). Update Hearth to import it.</source>
        <translation>此导出文件由更新版本的 Hearth 生成（格式 {version}）。请更新 Hearth 后再导入。</translation>
    </message>
    <message>
        <source>There is no model “{query}” in the catalog. Known models: {known}. Run “models list” to see them.</source>
        <translation>模型目录中没有“{query}”这个模型。已知模型：{known}。运行“models list”查看它们。</translation>
    </message>
    <message>
        <source>“{query}” matches several models: {known}. Use one of these ids instead.</source>
        <translation>“{query}”匹配多个模型：{known}。请改用其中一个 ID。</translation>
    </message>
    <message>
        <source>The model catalog {path} does not exist. Check the path given with --catalog or HEARTH_CATALOG.</source>
        <translation>模型目录 {path} 不存在。请检查通过 --catalog 或 HEARTH_CATALOG 指定的路径。</translation>
    </message>
    <message>
        <source>The model catalog {path} could not be read. Check that the file is readable UTF-8 text.</source>
        <translation>无法读取模型目录 {path}。请检查该文件是否为可读的 UTF-8 文本。</translation>
    </message>
    <message>
        <source>The model catalog {path} is not valid JSON (line {line}, column {column}: {problem}). Fix the file or point --catalog at another one.</source>
        <translation>模型目录 {path} 不是有效的 JSON（第 {line} 行，第 {column} 列：{problem}）。请修正该文件，或用 --catalog 指向另一个文件。</translation>
    </message>
    <message>
        <source>The model catalog {path} is not valid: it must be a JSON object with “version” and “models”.</source>
        <translation>模型目录 {path} 无效：它必须是包含“version”和“models”的 JSON 对象。</translation>
    </message>
    <message>
        <source>The model catalog {path} is not valid: {problems}. Fix the file or point --catalog at another one.</source>
        <translation>模型目录 {path} 无效：{problems}。请修正该文件，或用 --catalog 指向另一个文件。</translation>
    </message>
</context>
<context>
    <name>DatasetDialog</name>
    <message>
        <source>Export dataset</source>
        <extracomment>The export ended: the summary (a DatasetSummary).</extracomment>
        <translation>导出数据集</translation>
    </message>
    <message>
        <source>All chats</source>
        <translation>所有对话</translation>
    </message>
    <message>
        <source>This chat</source>
        <translation>当前对话</translation>
    </message>
    <message>
        <source>Chats matching a search:</source>
        <translation>与搜索匹配的对话：</translation>
    </message>
    <message>
        <source>Search words</source>
        <translation>搜索词</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Only answers rated good (👍)</source>
        <translation>仅限评为好的回答（👍）</translation>
    </message>
    <message>
        <source>Only finished answers</source>
        <translation>仅限已完成的回答</translation>
    </message>
    <message>
        <source>Any model</source>
        <translation>任意模型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>Until</source>
        <translation>到</translation>
    </message>
    <message>
        <source>OpenAI messages (reasoning_content) – TRL</source>
        <translation>OpenAI messages（reasoning_content）– TRL</translation>
    </message>
    <message>
        <source>ShareGPT (&lt;think&gt; tags) – LLaMA-Factory</source>
        <translation>ShareGPT（&lt;think&gt; 标签）– LLaMA-Factory</translation>
    </message>
    <message>
        <source>Alpaca (instruction/output/history)</source>
        <translation>Alpaca（instruction/output/history）</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Chats:</source>
        <translation>对话：</translation>
    </message>
    <message>
        <source>Answers:</source>
        <translation>回答：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Dates:</source>
        <translation>日期：</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>Folder for the dataset</source>
        <translation>数据集所在文件夹</translation>
    </message>
    <message>
        <source>Choose a folder for the dataset first.</source>
        <translation>请先为数据集选择一个文件夹。</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>%1 records written to %2 (%3 duplicates removed). The folder also has a</source>
        <translation>已将 %1 条记录写入 %2（去除了 %3 条重复）。该文件夹中还有一份</translation>
    </message>
    <message>
        <source>dataset card (README.md) that says how to load it.</source>
        <translation>数据集说明卡（README.md），介绍如何加载它。</translation>
    </message>
    <message>
        <source>Export cancelled; no file was written.</source>
        <translation>导出已取消；没有写入任何文件。</translation>
    </message>
</context>
<context>
    <name>EmbeddingSection</name>
    <message>
        <source>Embedding models — used by the Library for meaning search</source>
        <translation>嵌入模型 — 资料库用于语义搜索</translation>
    </message>
    <message>
        <source>Embedding models</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <source>Embedding models for the Library</source>
        <translation>资料库的嵌入模型</translation>
    </message>
    <message>
        <source>Size, sources and checksum</source>
        <translation>大小、下载源和校验和</translation>
    </message>
    <message>
        <source>Embedding model the Library uses</source>
        <translation>资料库使用的嵌入模型</translation>
    </message>
    <message>
        <source>Use for Library</source>
        <translation>用于资料库</translation>
    </message>
    <message>
        <source>Use the selected model for the Library</source>
        <translation>让资料库使用所选模型</translation>
    </message>
    <message>
        <source>The Library&apos;s meaning search will use this model (it is never used to chat)</source>
        <translation>资料库的语义搜索将使用此模型（它不会用于聊天）</translation>
    </message>
    <message>
        <source>The Library uses no embedding model: full-text search only.</source>
        <translation>资料库未使用嵌入模型：仅全文搜索。</translation>
    </message>
    <message>
        <source>The Library uses %1.</source>
        <translation>资料库使用 %1。</translation>
    </message>
    <message>
        <source>from %1</source>
        <translation>来自 %1</translation>
    </message>
    <message>
        <source>sha256 published</source>
        <translation>已公布 sha256</translation>
    </message>
    <message>
        <source>checksum not published: the download checks the sha256 the sources report, the size and the GGUF header</source>
        <translation>未公布校验和：下载时会核对下载源报告的 sha256、文件大小和 GGUF 文件头</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>A cage holds chickens and rabbits: 35 heads and 94 legs in all. How many chickens and how many rabbits are there?</source>
        <extracomment>A long chat opens with only its newest messages built (a screenful plus a margin); older ones are built when the user scrolls near the top, a few per event-loop turn. How many older messages build_older() builds when not told. Older messages are built when the view is within this many viewport heights of the top. While scrolling up, one event-loop turn builds older messages for at most this long (at least one message), then lets input and painting run; the next turn goes on. Building four at a time cost a turn 65-76 ms (docs/BENCHMARKS.md, &quot;big chats&quot;). Older messages are built into pages of this many items above the newest ones. A new item at the top then moves the items of its page and the pages below, not every message of the chat (moving hundreds of widgets was most of a step&apos;s cost).</extracomment>
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
    <name>EnginePicker</name>
    <message>
        <source>Engine for this chat</source>
        <extracomment>The chosen choice string (``local`` or ``remote:&lt;id&gt;:&lt;model&gt;``). Whether what is sent now leaves this computer, and the engine&apos;s &quot;name (host)&quot;.</extracomment>
        <translation>此对话使用的引擎</translation>
    </message>
    <message>
        <source>Where answers come from</source>
        <translation>回答从哪里来</translation>
    </message>
    <message>
        <source>Engine:</source>
        <translation>引擎：</translation>
    </message>
    <message>
        <source>Local model (this computer)</source>
        <translation>本地模型（这台电脑）</translation>
    </message>
    <message>
        <source>Answers come from this computer.</source>
        <translation>回答来自这台电脑。</translation>
    </message>
    <message>
        <source>Offline mode is on, so %1 (%2) cannot be used. Turn off offline mode, or pick the local model.</source>
        <translation>离线模式已开启，因此无法使用 %1（%2）。请关闭离线模式，或选择本地模型。</translation>
    </message>
    <message>
        <source>Answers come from %1 (%2), on this computer.</source>
        <translation>回答来自这台电脑上的 %1（%2）。</translation>
    </message>
    <message>
        <source>Answers come from %1 (%2). What you send in this chat leaves this computer.</source>
        <translation>回答来自 %1（%2）。你在此对话中发送的内容会离开这台电脑。</translation>
    </message>
</context>
<context>
    <name>EnginesPage</name>
    <message>
        <source>Remote engines</source>
        <extracomment>Emitted after an engine was saved or removed. A &quot;Test connection&quot; finished (the sentence shown); for tests and accessibility.</extracomment>
        <translation>远程引擎</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Server kind</source>
        <translation>服务器类型</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>GPU server</source>
        <translation>GPU 服务器</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>CA certificate file</source>
        <translation>CA 证书文件</translation>
    </message>
    <message>
        <source>Only for a server with its own certificates</source>
        <translation>仅用于使用自有证书的服务器</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Connect timeout</source>
        <translation>连接超时</translation>
    </message>
    <message>
        <source>Read timeout</source>
        <translation>读取超时</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Save engine</source>
        <translation>保存引擎</translation>
    </message>
    <message>
        <source>Connection status</source>
        <translation>连接状态</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>CA file</source>
        <translation>CA 文件</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <source>Saved in the keyring (type to replace)</source>
        <translation>已保存在系统密钥环中（输入新值以替换）</translation>
    </message>
    <message>
        <source>llama.cpp server</source>
        <translation>llama.cpp 服务器</translation>
    </message>
    <message>
        <source>Another Hearth</source>
        <translation>另一个 Hearth</translation>
    </message>
    <message>
        <source>Other OpenAI-compatible server</source>
        <translation>其他 OpenAI 兼容服务器</translation>
    </message>
    <message>
        <source>CA certificate</source>
        <translation>CA 证书</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt);;All files (*)</source>
        <translation>证书 (*.pem *.crt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Asking %1 …</source>
        <translation>正在询问 %1 …</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
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
    <name>LibraryPanel</name>
    <message>
        <source>Collections</source>
        <extracomment>The size limit is set in megabytes. the names of the collections checked for the current chat an indexing run ended: (collection, report) the user changed the size limit (MB); the window keeps it in the settings</extracomment>
        <translation>文档集</translation>
    </message>
    <message>
        <source>New collection…</source>
        <translation>新建文档集…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Index</source>
        <translation>建立索引</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Remove collection</source>
        <translation>移除文档集</translation>
    </message>
    <message>
        <source>Largest file to index</source>
        <translation>可索引的最大文件</translation>
    </message>
    <message>
        <source>Larger files are listed as too large; attachments have the same limit.</source>
        <translation>更大的文件会被列为过大；附件也有同样的上限。</translation>
    </message>
    <message>
        <source>Indexing progress</source>
        <translation>索引进度</translation>
    </message>
    <message>
        <source>Files not indexed</source>
        <translation>未索引的文件</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Why it was not indexed</source>
        <translation>未索引的原因</translation>
    </message>
    <message>
        <source>Size limit:</source>
        <translation>大小上限：</translation>
    </message>
    <message>
        <source>Collections (checked ones are used by this chat)</source>
        <translation>文档集（勾选的文档集会用于此对话）</translation>
    </message>
    <message>
        <source>%1 — %2 files, %3 not indexed</source>
        <translation>%1 — %2 个文件，%3 个未索引</translation>
    </message>
    <message>
        <source>New collection</source>
        <translation>新建文档集</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>My documents</source>
        <translation>我的文档</translation>
    </message>
    <message>
        <source>Add a folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <source>Add files</source>
        <translation>添加文件</translation>
    </message>
    <message>
        <source>Indexing %1…</source>
        <translation>正在索引 %1…</translation>
    </message>
    <message>
        <source>Stopped. Index again to continue where it stopped.</source>
        <translation>已停止。再次建立索引即可从停止处继续。</translation>
    </message>
    <message>
        <source>%1: %2 indexed, %3 unchanged, %4 removed, %5 not indexed.</source>
        <translation>%1：已索引 %2 个，未变 %3 个，已移除 %4 个，未索引 %5 个。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Reading the prompt</source>
        <extracomment>API requests in flight (waiting or running), from the server thread; see api_activity.</extracomment>
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
        <source>Local API</source>
        <translation>本地 API</translation>
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
        <source>&amp;Library…</source>
        <translation>资料库(&amp;L)…</translation>
    </message>
    <message>
        <source>Ask ×&amp;4 (majority vote)</source>
        <translation>提问 ×4（多数投票）(&amp;4)</translation>
    </message>
    <message>
        <source>Export &amp;dataset…</source>
        <translation>导出数据集(&amp;D)…</translation>
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
        <source>Still reading the attached files; send again in a moment.</source>
        <translation>仍在读取附加的文件；请稍后再发送。</translation>
    </message>
    <message>
        <source>Still searching your Library; send again in a moment.</source>
        <translation>仍在搜索你的资料库；请稍后再发送。</translation>
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
        <source>API request running · %1</source>
        <extracomment>The context meter warns from this share of the window on.</extracomment>
        <translation>API 请求进行中 · %1</translation>
    </message>
    <message>
        <source>API: %1</source>
        <translation>API：%1</translation>
    </message>
    <message>
        <source>Other programs can use the loaded model at %1/v1 (Settings › Local API).</source>
        <translation>其他程序可以通过 %1/v1 使用已加载的模型（设置 › 本地 API）。</translation>
    </message>
    <message>
        <source>%1 of %2 tokens of context used</source>
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
        <source>%1 · on %2</source>
        <translation>%1 · 位于 %2</translation>
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
        <extracomment>The absolute path of an installed model the user chose to use (the window loads it). The user asked to go back to the chat. A listing of the models folder has been applied to the table. Settings: the user chose the Library&apos;s embedding model (&quot;Use for Library&quot;). Runs the folder listing and import checks off the GUI thread. The models folder as last listed (catalog files present are added from a stat). Live states the disk cannot tell: failures, pausing, verification results. Import offered and waiting for the copy / in-place choice, then queued ones.</extracomment>
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
        <extracomment>The tables&apos; texts (translated in this panel&apos;s context).</extracomment>
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
        <source>The Library will use %1 for meaning search.</source>
        <translation>资料库将使用 %1 进行语义搜索。</translation>
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
        <source>%1 · used by the Library</source>
        <translation>%1 · 资料库正在使用</translation>
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
        <source>Estimated for the Library&apos;s batches of passages</source>
        <translation>按资料库批量处理段落估算</translation>
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
        <extracomment>Keys of import jobs on the download worker start with this. Checked and waiting for the copy / in-place answer. Offered while another import was under way. The worker&apos;s key of a running copy, and its (done, total) bytes. The task checking (or registering) a file.</extracomment>
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
        <source>an embedding model for the Library</source>
        <translation>资料库的嵌入模型</translation>
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
        <extracomment>Messages are identified by the store&apos;s ids (strings). Answers longer than this are never rendered in one piece on the GUI thread: they are shown block by block, RENDER_STEP_CHARS per event-loop turn (a 1 MB answer in one piece is one giant layout; in steps the window stays responsive throughout).</extracomment>
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
        <extracomment>``hearth-cite:N`` links the answer&apos;s ``[N]`` markers to its source N; the view handles them itself and never hands them to the system.</extracomment>
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
        <extracomment>KV bytes per token at f16 when no model is loaded: DeepSeek-R1-Distill-Qwen-1.5B&apos;s shape.</extracomment>
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
        <source>Local API</source>
        <translation>本地 API</translation>
    </message>
    <message>
        <source>Engines</source>
        <translation>引擎</translation>
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
        <source>Same as threads</source>
        <translation>与线程数相同</translation>
    </message>
    <message>
        <source>Threads for reading the prompt</source>
        <translation>读取提示词所用的线程数</translation>
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
        <source>Prompt threads:</source>
        <translation>提示词线程：</translation>
    </message>
    <message>
        <source>Context length:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <source>Automatic (the faster one on this computer)</source>
        <translation>自动（选这台电脑上更快的）</translation>
    </message>
    <message>
        <source>On</source>
        <translation>开</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash Attention</translation>
    </message>
    <message>
        <source>Memory cache type</source>
        <translation>内存缓存类型</translation>
    </message>
    <message>
        <source>Flash attention:</source>
        <translation>Flash Attention：</translation>
    </message>
    <message>
        <source>Memory cache type:</source>
        <translation>内存缓存类型：</translation>
    </message>
    <message>
        <source>f16 (full precision)</source>
        <translation>f16（全精度）</translation>
    </message>
    <message>
        <source>q8_0 (about half the memory)</source>
        <translation>q8_0（约一半内存）</translation>
    </message>
    <message>
        <source>q4_0 (about a quarter of the memory)</source>
        <translation>q4_0（约四分之一内存）</translation>
    </message>
    <message>
        <source>%1 — %2 MB for %3 tokens</source>
        <translation>%1 — %3 个词元占 %2 MB</translation>
    </message>
    <message>
        <source>The memory cache holds what the model has read of the chat. A smaller type lets a long chat fit in less memory, at a small cost in accuracy. Flash attention and the cache type apply the next time a model is loaded.</source>
        <translation>内存缓存保存模型已读取的对话内容。较小的类型能让长对话占用更少内存，但准确度会略有下降。Flash Attention 和缓存类型在下次加载模型时生效。</translation>
    </message>
    <message>
        <source>q8_0 and q4_0 need flash attention, so it is turned on.</source>
        <translation>q8_0 和 q4_0 需要 Flash Attention，因此已将其开启。</translation>
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
        <extracomment>Search results shown at most (newest first); more would only be scrolled past. (parent, caption, directory, filter) -&gt; (file name, chosen filter), like QFileDialog&apos;s. Typing pauses this long before a search runs. How long the Undo bar stays after a delete. For reading; every change goes through ``ops`` (the store&apos;s write layer). Export and import run here, off the GUI thread (the store is thread-safe).</extracomment>
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
    <name>SourceViewer</name>
    <message>
        <source>Source</source>
        <extracomment>Hands a URL to the system (QDesktopServices.openUrl); tests pass a recorder. Documents Hearth asks the system to open. A cited path can come from an imported chat file, which anyone could have written, so the system is never handed a file it might run (programs, scripts, shortcuts, source code with an interpreter registered): for those the viewer opens the folder instead and the text stays readable in the viewer. the passage is shown (a :class:`Passage`); tests and accessibility wait on it the path of a file handed to the system</extracomment>
        <translation>来源</translation>
    </message>
    <message>
        <source>Document text</source>
        <translation>文档文本</translation>
    </message>
    <message>
        <source>Open file</source>
        <translation>打开文件</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Reading the file…</source>
        <translation>正在读取文件…</translation>
    </message>
    <message>
        <source>Open at page %1</source>
        <translation>在第 %1 页打开</translation>
    </message>
    <message>
        <source>The file has changed since it was indexed; the passage was found at another place in it.</source>
        <translation>文件在建立索引后已更改；该段落在文件中的另一处找到。</translation>
    </message>
    <message>
        <source>The file has changed since it was indexed and no longer holds this passage. Shown is the passage as it was indexed.</source>
        <translation>文件在建立索引后已更改，不再包含此段落。这里显示的是索引时的段落。</translation>
    </message>
    <message>
        <source>The file is no longer there: it was moved or deleted since it was indexed. Shown is the passage as it was indexed.</source>
        <translation>文件已不在原处：建立索引后它被移动或删除了。这里显示的是索引时的段落。</translation>
    </message>
    <message>
        <source>The file could not be read again: %1 Shown is the passage as it was indexed.</source>
        <translation>无法再次读取文件：%1 这里显示的是索引时的段落。</translation>
    </message>
    <message>
        <source>Only the part of the document around the passage is shown.</source>
        <translation>只显示文档中该段落附近的部分。</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
</context>
<context>
    <name>SourcesView</name>
    <message>
        <source>Sources</source>
        <extracomment>path of the file the user asked to open (from the source viewer) the row whose passage the viewer was asked to show</extracomment>
        <translation>来源</translation>
    </message>
    <message>
        <source>Sources of the answer</source>
        <translation>回答的来源</translation>
    </message>
    <message>
        <source>Sources (%1)</source>
        <translation>来源（%1）</translation>
    </message>
    <message>
        <source>~%1 tokens of context</source>
        <translation>约占上下文 %1 个词元</translation>
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
        <source>Attached files</source>
        <translation>附加的文件</translation>
    </message>
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
<context>
    <name>VoteView</name>
    <message>
        <source>Majority vote</source>
        <translation>多数投票</translation>
    </message>
    <message numerus="yes">
        <source>Asking %n sample(s)…</source>
        <translation>
            <numerusform>正在请求 %n 个样本…</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 characters</source>
        <translation>%1 个字符</translation>
    </message>
    <message>
        <source>Sample %1: %2</source>
        <translation>样本 %1：%2</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>out of budget (no answer)</source>
        <translation>超出预算（无答案）</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>%1 of %2 say %3</source>
        <translation>%2 个中有 %1 个认为是 %3</translation>
    </message>
    <message>
        <source>None of %1 samples gave an answer</source>
        <translation>%1 个样本都没有给出答案</translation>
    </message>
    <message>
        <source>%1 say %2</source>
        <translation>%1 个认为是 %2</translation>
    </message>
    <message>
        <source>No answer: %1</source>
        <translation>无答案：%1</translation>
    </message>
    <message>
        <source>‹ › shows each sample with its reasoning.</source>
        <translation>‹ › 逐个显示每个样本及其推理过程。</translation>
    </message>
</context>
</TS>
