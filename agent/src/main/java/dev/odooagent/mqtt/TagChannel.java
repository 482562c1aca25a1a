package dev.odooagent.mqtt;

import dev.odooagent.event.EventCounter;
import dev.odooagent.event.Source;
import dev.odooagent.event.TriggerSink;
import dev.odooagent.event.Verdict;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tag events: turns each {@code P/tags} message into a trigger for the policy, and counts what became of it. */
final class TagChannel {

  private static final Logger LOG = LoggerFactory.getLogger(MqttBridge.class);

  private final TagEvents tagEvents;
  private final TriggerSink sink;
  private final EventCounter counter;
  private final Clock clock;

  /** A channel that offers triggers for the settings' service image to the sink. */
  TagChannel(MqttSettings settings, TriggerSink sink, EventCounter counter, Clock clock) {
    this.tagEvents = new TagEvents(settings.serviceImage());
    this.sink = sink;
    this.counter = counter;
    this.clock = clock;
  }

  /** Reads one tag event and hands its trigger to the policy. */
  void onTagEvent(byte[] payload) {
    TagEvents.Outcome outcome = tagEvents.read(payload, clock.instant());
    if (outcome.rejectedReason() != null) {
      LOG.warn("mqtt: {}", outcome.rejectedReason());
      counter.count(Source.MQTT, "rejected");
      return;
    }
    if (outcome.ignoredReason() != null) {
      LOG.info("mqtt: {}", outcome.ignoredReason());
      counter.count(Source.MQTT, "ignored");
      return;
    }
    Verdict verdict;
    try {
      verdict = sink.offer(outcome.trigger());
    } catch (RuntimeException e) {
      LOG.error("mqtt: the tag event for {} could not be handed to the policy: {}", outcome.trigger().tag(),
          e.toString());
      counter.count(Source.MQTT, "rejected");
      return;
    }
    LOG.info("mqtt: tag event {}{}: {}", outcome.trigger().tag(),
        outcome.trigger().digest() == null ? "" : " (" + outcome.trigger().digest() + ")",
        verdict == Verdict.ACCEPTED ? "accepted" : "ignored by the policy");
    counter.count(Source.MQTT, verdict == Verdict.ACCEPTED ? "accepted" : "ignored");
  }
}
