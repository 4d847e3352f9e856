-- Delivery reads each peer's queued envelopes in conversation and
-- sequence order, a batch at a time. Through (state, next_attempt_at)
-- every round read the whole backlog and sorted it to return one batch,
-- so a backlog of hundreds of thousands (a register of alerts sent to
-- every partner) made each round slower the larger it was. This index
-- holds only the queued envelopes, already in that order.
CREATE INDEX fed_outbox_queued ON fed_outbox(peer, conversation, seq) WHERE state = 'queued';
