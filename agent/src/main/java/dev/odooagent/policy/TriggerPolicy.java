package dev.odooagent.policy;

import dev.odooagent.event.Trigger;
import java.util.regex.Pattern;

/** Decides whether a trigger may start a deploy: the channel tag or an accepted tag, and no pin in force. */
public final class TriggerPolicy {
  private final String track;
  private final Pattern tagPattern;

  /** A policy following channel {@code track} and accepting tags matching {@code tagPattern}. */
  public TriggerPolicy(String track, Pattern tagPattern) {
    this.track = track;
    this.tagPattern = tagPattern;
  }

  /** The decision: accepted, or ignored with a plain reason. */
  public record Decision(boolean accepted, String reason) {}

  /** Judges a trigger given whether a pin holds. */
  public Decision judge(Trigger t, boolean pinned) {
    if (t.tag() == null || t.tag().isEmpty()) {
      return new Decision(false, "no tag");
    }
    if (pinned) {
      return new Decision(false, "a pin holds; unpin to follow " + track + " again");
    }
    if (!t.tag().equals(track) && !tagPattern.matcher(t.tag()).find()) {
      return new Decision(false, "tag " + t.tag() + " is neither the channel " + track + " nor matches service.tag_pattern");
    }
    return new Decision(true, "");
  }
}
