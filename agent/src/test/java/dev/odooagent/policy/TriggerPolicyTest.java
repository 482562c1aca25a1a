package dev.odooagent.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TriggerPolicyTest {
  private static final String DIGEST = "sha256:" + "a".repeat(64);
  private final TriggerPolicy policy = new TriggerPolicy("latest", Pattern.compile("^sha-[0-9a-f]{7,40}$"));

  private static Trigger trigger(String tag) {
    return new Trigger(Source.GITHUB, tag, DIGEST, "delivery-1", Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void acceptsTheChannelTag() {
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("latest"), false));
  }

  @Test
  void acceptsATagMatchingThePattern() {
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("sha-057bb3a"), false));
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("sha-" + "0123456789".repeat(4)), false));
  }

  @Test
  void ignoresOtherTagsNamingTheChannelAndThePattern() {
    for (String tag : new String[] {"v1", "sha-057bb3", "sha-057BB3A", "latest-rc", "main"}) {
      assertEquals(new TriggerPolicy.Decision(false, "tag " + tag + " is neither the channel latest nor matches service.tag_pattern"),
          policy.judge(trigger(tag), false), tag);
    }
  }

  @Test
  void aPinHoldsAgainstEveryTrigger() {
    TriggerPolicy.Decision d = new TriggerPolicy.Decision(false, "a pin holds; unpin to follow latest again");
    assertEquals(d, policy.judge(trigger("latest"), true));
    assertEquals(d, policy.judge(trigger("sha-057bb3a"), true));
  }

  @Test
  void aTriggerWithoutATagIsIgnored() {
    Trigger digestOnly = new Trigger(Source.REGISTRY, null, DIGEST, null, Instant.now());
    assertEquals(new TriggerPolicy.Decision(false, "no tag"), policy.judge(digestOnly, false));
  }

  @Test
  void thePatternIsSearchedSoAnUnanchoredPatternMatchesInside() {
    TriggerPolicy loose = new TriggerPolicy("stable", Pattern.compile("rc[0-9]+"));
    assertEquals(true, loose.judge(trigger("v18-rc2"), false).accepted());
    assertEquals(false, loose.judge(trigger("v18"), false).accepted());
  }
}
