package dev.odooagent.event;

/** Receives triggers from the event sources; it must only enqueue, never block, since it runs on the event loop. */
@FunctionalInterface
public interface TriggerSink {

  /** Offers one trigger and says at once whether it was queued or ignored. */
  Verdict offer(Trigger trigger);
}
