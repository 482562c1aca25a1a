package dev.odooagent.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TriggerPolicyTest {
  private static final String DIGEST = "sha256:" + "a".repeat(64);
  private final TriggerPolicy policy = new TriggerPolicy("latest", Pattern.compile("^sha-[0-9a-f]{7,40}$"));

  /** A host's record as the policy sees it. */
  private record Host(String pinnedDigest, String failure, Map<String, String> rejected, Map<String, String> left) implements HostRecord {
    static final Host FRESH = new Host(null, null, Map.of(), Map.of());

    @Override
    public String rejectedBy(String digest) {
      return digest == null ? null : rejected.get(digest);
    }

    @Override
    public String leftAt(String digest) {
      return digest == null ? null : left.get(digest);
    }
  }

  private static final Host PINNED = new Host("sha256:" + "b".repeat(64), null, Map.of(), Map.of());

  private static Trigger trigger(String tag) {
    return new Trigger(Source.GITHUB, tag, DIGEST, "delivery-1", Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void acceptsTheChannelTag() {
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("latest"), Host.FRESH));
  }

  @Test
  void acceptsATagMatchingThePattern() {
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("sha-057bb3a"), Host.FRESH));
    assertEquals(new TriggerPolicy.Decision(true, ""), policy.judge(trigger("sha-" + "0123456789".repeat(4)), Host.FRESH));
  }

  @Test
  void ignoresOtherTagsNamingTheChannelAndThePattern() {
    for (String tag : new String[] {"v1", "sha-057bb3", "sha-057BB3A", "latest-rc", "main"}) {
      assertEquals(new TriggerPolicy.Decision(false, "tag " + tag + " is neither the channel latest nor matches service.tag_pattern"),
          policy.judge(trigger(tag), Host.FRESH), tag);
    }
  }

  @Test
  void aPinHoldsAgainstEveryTrigger() {
    TriggerPolicy.Decision d = new TriggerPolicy.Decision(false, "a pin holds; unpin to follow latest again");
    assertEquals(d, policy.judge(trigger("latest"), PINNED));
    assertEquals(d, policy.judge(trigger("sha-057bb3a"), PINNED));
  }

  @Test
  void anAutomaticTriggerNeverMovesTheHostToADigestItLeftOrRolledBack() {
    Host left = new Host(null, null, Map.of(), Map.of(DIGEST, "2026-11-30T01:00:00Z"));
    TriggerPolicy.Decision d = policy.judge(trigger("sha-057bb3a"), left);
    assertEquals(false, d.accepted());
    assertTrue(d.reason().contains("left it at 2026-11-30T01:00:00Z"), d.reason());
    Host rejected = new Host(null, null, Map.of(DIGEST, "deploy d7 rolled back: health_failed"), Map.of());
    d = policy.judge(trigger("latest"), rejected);
    assertEquals(false, d.accepted());
    assertTrue(d.reason().contains("deploy d7 rolled back: health_failed"), d.reason());
    assertEquals(false, policy.admit(DIGEST, rejected).accepted(), "judged again when the deploy starts");
  }

  @Test
  void onlyALeftOrRolledBackDigestIsBackwardsSoAPendingVersionIsDroppedForNothingElse() {
    Host rejected = new Host(null, null, Map.of(DIGEST, "deploy d7 rolled back: health_failed"), Map.of());
    assertTrue(policy.backwards(DIGEST, rejected).contains("was rolled back on this host"));
    Host left = new Host(null, null, Map.of(), Map.of(DIGEST, "2026-11-30T01:00:00Z"));
    assertTrue(policy.backwards(DIGEST, left).contains("left it at"));
    Host failed = new Host(PINNED.pinnedDigest(), "the old container also failed its gate", Map.of(), Map.of());
    assertEquals(null, policy.backwards(DIGEST, failed), "a pin or a FAILED verdict passes; neither makes a version older");
  }

  @Test
  void aFailedHostTakesNoAutomaticDeploy() {
    Host failed = new Host(null, "the old container also failed its gate", Map.of(), Map.of());
    assertEquals(false, policy.judge(trigger("latest"), failed).accepted());
    assertEquals(false, policy.admit(null, failed).accepted());
  }

  @Test
  void aPinAdmitsOnlyThePinnedDigest() {
    assertEquals(true, policy.admit(PINNED.pinnedDigest(), PINNED).accepted());
    assertEquals(false, policy.admit(DIGEST, PINNED).accepted());
    assertEquals(false, policy.admit(null, PINNED).accepted(), "a tag-only trigger is judged again once resolved");
  }

  @Test
  void aTriggerWithoutATagIsIgnored() {
    Trigger digestOnly = new Trigger(Source.REGISTRY, null, DIGEST, null, Instant.now());
    assertEquals(new TriggerPolicy.Decision(false, "no tag"), policy.judge(digestOnly, Host.FRESH));
  }

  @Test
  void thePatternIsSearchedSoAnUnanchoredPatternMatchesInside() {
    TriggerPolicy loose = new TriggerPolicy("stable", Pattern.compile("rc[0-9]+"));
    assertEquals(true, loose.judge(trigger("v18-rc2"), Host.FRESH).accepted());
    assertEquals(false, loose.judge(trigger("v18"), Host.FRESH).accepted());
  }
}
