package dev.odooagent.event;

/** Counts each event outcome as {@code odoo_agent_events_total{source,result}}. */
@FunctionalInterface
public interface EventCounter {

  /** Result label of an event handed to the policy and queued. */
  String ACCEPTED = "accepted";
  /** Result label of an event that was valid but not for us, or that the policy ignored. */
  String IGNORED = "ignored";
  /** Result label of an event refused as unauthenticated, malformed, too large or rate limited. */
  String REJECTED = "rejected";
  /** Result label of an event whose delivery id was already seen. */
  String DUPLICATE = "duplicate";

  /** Adds one to the counter for this source and result (accepted, ignored, rejected or duplicate). */
  void count(Source source, String result);
}
