package dev.odooagent.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.odooagent.config.MaintenanceWindow;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** When an accepted automatic deploy waits: approval mode first, then the maintenance window. */
class HoldTest {
  private static final MaintenanceWindow NIGHTS = MaintenanceWindow.parse("Mon-Fri 01:00-05:00 UTC");
  /** A Wednesday noon: outside the window. */
  private static final Instant NOON = Instant.parse("2026-12-02T12:00:00Z");
  private static final Instant NIGHT = Instant.parse("2026-12-03T02:00:00Z");

  @Test
  void nothingIsHeldByDefault() {
    assertNull(Hold.NONE.reason(NOON));
    assertEquals(NOON, Hold.NONE.nextOpening(NOON));
  }

  @Test
  void outsideTheWindowADeployWaitsAndSaysWhenItOpens() {
    Hold h = new Hold(true, NIGHTS);
    assertEquals("outside the maintenance window Mon-Fri 01:00-05:00 UTC (deploy.window); it opens at 2026-12-03T01:00:00Z",
        h.reason(NOON));
    assertEquals(Instant.parse("2026-12-03T01:00:00Z"), h.nextOpening(NOON));
    assertNull(h.reason(NIGHT), "inside the window it starts");
  }

  @Test
  void approvalWinsOverTheWindowAndNoOpeningReleasesIt() {
    Hold h = new Hold(false, NIGHTS);
    String approval = "approval mode (deploy.auto: false): an operator deploys it with `odoo-agent approve`";
    assertEquals(approval, h.reason(NOON));
    assertEquals(approval, h.reason(NIGHT), "an open window does not deploy it");
    assertNull(h.nextOpening(NOON));
    assertEquals(approval, new Hold(false, MaintenanceWindow.ALWAYS).reason(NOON));
  }
}
