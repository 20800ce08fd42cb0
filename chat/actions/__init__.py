"""Every write that changes a conversation, one module per topic (as Zulip's zerver/actions/).

Layers, each importing only those below it (tests/test_architecture.py enforces it):

    transport   chat.consumers, chat.views, chat.tasks, widgets.views, admin actions
    actions     chat.actions.*: store, then announce after commit
    policy      routing.* (hours, availability, capacity, assignment policy, postcodes),
                chat.selectors, chat.queue, chat.payloads
    models      chat.models, routing.models, ...

Inside the package: `announce` and `messages` are the bottom; `assignment` gives chats to
operators; `lifecycle` (start, accept, requeue, missed, end) builds on both; `sweeps`,
`presence`, `transfers`, `notes`, `followups` and `feedback` on those.

Functions named `*_unsafe` must run inside a transaction that holds the locks their
docstrings name; the others open their own transaction.
"""
