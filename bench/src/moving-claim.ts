/**
 * The lease claim as it was before migration 000011: it leased a row by
 * moving available_at (an indexed column), so every claim was a non-HOT
 * update. Swapped in by the comparison scripts (claim-candidates.ts,
 * in-flight-claims.ts); migrate again to get the shipped claim back.
 */
export const MOVING_CLAIM = `create or replace function postbox.claim_messages(
  queue_name text, max_messages int, lease_ms int, count_attempt boolean default true
)
returns table (
  id bigint, lease_token bigint, body jsonb, headers jsonb, attempts int,
  enqueued_at timestamptz, group_key text, priority int, available_at timestamptz
)
language sql set enable_sort = off set jit = off as $$
  with q as (select max_attempts, coalesce(lease_ms, visibility_timeout_ms) as vt from postbox.queues where name = queue_name),
  candidates as (
    select m.id from postbox.messages m
    where m.queue = queue_name and m.available_at <= now()
    order by m.priority, m.available_at, m.id
    limit max_messages
    for update skip locked
  )
  update postbox.messages m
  set attempts = m.attempts + 1, available_at = now() + q.vt * interval '1 millisecond',
      lease_token = postbox.new_lease_token()
  from candidates c, q where m.id = c.id
  returning m.id, m.lease_token, m.body, m.headers, m.attempts, m.enqueued_at, m.group_key, m.priority, m.available_at
$$;`;
