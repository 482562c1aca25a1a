package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Durable rollback: after an operator rolls back with the CLI, the poll keeps finding the channel on the version
 * rolled back from and leaves the host where the operator put it.
 */
class PollAfterManualRollbackStaysPutIT extends OneOdooScenario {
  String channel;


  /** Points this test's own channel tag at a bed variant in the real registry, as CI's push of `latest` would. */
  private void pushChannel(String variant) {
    docker("tag", TestBed.image() + "@" + TestBed.digest(variant), TestBed.ref(channel));
    docker("push", "-q", TestBed.ref(channel));
  }

  private double pollIgnored() {
    double v = agent.metric("odoo_agent_events_total{host=\"it-pollback\",result=\"ignored\",source=\"poll\"}");
    return Double.isNaN(v) ? 0 : v;
  }

  @Test
  void thePollDoesNotUndoAManualRollbackAndTheCliSaysWhatEachChoiceLoses() throws Exception {
    channel = "it-poll-" + Long.toHexString(System.nanoTime());
    odoo = new OdooFixture("it-pollback", "it_pollback", 18072, false).fresh("v1").start("v1");
    pushChannel("v2");
    agent = new AgentProcess("pollback", odoo, 19082, 19092).set("service.track", channel)
        .set("registry.poll_interval", "1s").set("deploy.health_timeout", "60s").start();

    TestBed.await("the poll to deploy v2 (log: " + agent.log + ")", Duration.ofSeconds(120),
        () -> agent.history().size() == 1 && !agent.status().getBoolean("deploy_in_progress"));
    JsonObject up = agent.history().getJsonObject(0);
    assertEquals("success", up.getString("outcome"), up.encode());
    assertEquals(TestBed.digest("v2"), odoo.runningDigest());

    TestBed.Result refused = agent.cli("rollback");
    assertEquals(1, refused.code(), refused.out() + refused.err());
    assertTrue(refused.err().contains("nothing was done"), refused.err());
    assertTrue(refused.err().contains("--restore-database  ") && refused.err().contains("--code-only         "),
        "both choices are printed with what each loses: " + refused.err());
    assertEquals(1, agent.history().size(), "a rollback that needs a choice does nothing without one");

    TestBed.Result rolled = agent.cli("rollback", "--code-only");
    assertEquals(0, rolled.code(), rolled.out() + rolled.err());
    assertTrue(rolled.out().contains("database: keeps the database as it is"), rolled.out());
    TestBed.await("the rollback's verdict", Duration.ofSeconds(90),
        () -> agent.history().size() == 2 && !agent.status().getBoolean("deploy_in_progress"));
    assertEquals("success", agent.history().getJsonObject(0).getString("outcome"));
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");

    double before = pollIgnored();
    TestBed.await("three polls to find the channel on v2 and ignore it", Duration.ofSeconds(30), () -> pollIgnored() >= before + 3);
    assertEquals(2, agent.history().size(), "the poll deployed nothing: " + agent.history().encode());
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "the host stays where the operator put it");
    assertTrue(agent.log().contains("was rolled back on this host (rolled back by an operator"), "the log says why");

    pushChannel("slow-start");
    TestBed.await("a newer digest on the channel to be deployed", Duration.ofSeconds(120),
        () -> agent.history().size() == 3 && !agent.status().getBoolean("deploy_in_progress"));
    assertEquals("success", agent.history().getJsonObject(0).getString("outcome"));
    assertEquals(TestBed.digest("slow-start"), odoo.runningDigest(), "a newer version moves the host forward again");
  }
}
