<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>ChatController</name>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform>
            <numerusform>%n tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n earlier message(s) no longer fit the context and were left out.</source>
        <translation>
            <numerusform>%n earlier message no longer fits the context and was left out.</numerusform>
            <numerusform>%n earlier messages no longer fit the context and were left out.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ReasoningBlock</name>
    <message numerus="yes">
        <source>Thinking… %n token(s) · %1 s</source>
        <translation>
            <numerusform>Thinking… %n token · %1 s</numerusform>
            <numerusform>Thinking… %n tokens · %1 s</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VoteView</name>
    <message numerus="yes">
        <source>Asking %n sample(s)…</source>
        <translation>
            <numerusform>Asking %n sample…</numerusform>
            <numerusform>Asking %n samples…</numerusform>
        </translation>
    </message>
</context>
</TS>
