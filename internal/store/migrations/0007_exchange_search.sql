-- Exchange search: find a thread's terms by thread, so a search can walk the
-- caller's visible threads newest first and stop after one page.
DROP INDEX ex_terms_thread;
CREATE INDEX ex_terms_thread_term ON ex_terms(thread_id, term);
