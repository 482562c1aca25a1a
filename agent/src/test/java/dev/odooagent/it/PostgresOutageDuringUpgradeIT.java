package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bed's real PostgreSQL goes away: in the middle of a module upgrade (the rollback waits the outage out and
 * restores the database), and before a deploy starts (refused before anything is stopped).
 */
// exclusive: it stops the bed's PostgreSQL, which every other IT's Odoo uses, so it runs alone (agent/pom.xml)
@Tag("exclusive")
class PostgresOutageDuringUpgradeIT extends OneOdooScenario {
  /** Runs before the fixture's own clean-up, which needs the database. */
  @AfterEach
  void databaseBack() {
    postgres("start");
  }

  /** Stops or starts the bed's cluster as the test bed itself does (pg_ctlcluster); starting a running one is fine. */
  private static void postgres(String action) {
    List<String> cmd = action.equals("stop") ? List.of("pg_ctlcluster", "15", "main", "stop", "-m", "fast")
        : List.of("pg_ctlcluster", "15", "main", "start");
    TestBed.Result r = TestBed.exec(cmd, Map.of(), Duration.ofMinutes(1));
    if (action.equals("start")) {
      TestBed.await("PostgreSQL to accept connections", Duration.ofSeconds(60),
          () -> TestBed.exec(List.of("pg_isready", "-h", TestBed.env("PG_HOST"), "-p", TestBed.env("PG_PORT")), Map.of(),
              Duration.ofSeconds(5)).code() == 0);
    } else if (r.code() != 0) {
      throw new AssertionError("pg_ctlcluster " + action + " failed: " + r.err());
    }
  }

  @Test
  void anOutageDuringTheUpgradeIsWaitedOutAndTheDatabaseRestored() throws Exception {
    odoo = new OdooFixture("it-pgout", "it_pgout", 18076, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    String rows = odoo.modules();
    agent = new AgentProcess("pgout", odoo, 19086, 19096).set("deploy.rollback_timeout", "3m").set("deploy.health_timeout", "40s")
        .start();
    String id = agent.deploy(new JsonObject().put("tag", "upgrade-slow"));
    String upgrade = odoo.name + "__upgrade_" + id.replaceAll("[^A-Za-z0-9]", "");
    TestBed.await("the upgrade one-shot to hold its connection", Duration.ofSeconds(90),
        () -> TestBed.exec(List.of("docker", "logs", upgrade), Map.of(), Duration.ofSeconds(10)).toString().contains("holding the connection"));

    postgres("stop");
    Instant down = Instant.now();
    // the outage lasts until the rollback has demonstrably retried against it three times
    TestBed.await("the rollback to retry against the outage", Duration.ofSeconds(120),
        () -> agent.log().contains("rollback attempt 3 failed"));
    postgres("start");
    Duration outage = Duration.between(down, Instant.now());

    JsonObject d = agent.awaitVerdict(id, Duration.ofSeconds(180));
    assertEquals("rolled_back", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("module upgrade exited"), d.getString("reason"));
    assertTrue(outage.toSeconds() >= 7, "the database was away for " + outage.toSeconds() + " s");
    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    assertEquals(schema, TestBed.schema(odoo.database), "schema as before the deploy");
    assertEquals(rows, odoo.modules(), "rows as before the deploy");
    assertEquals(List.of(), odoo.copies(), "no safety copy is left");
    assertEquals(List.of(odoo.name), odoo.containers(), "no aside or one-shot container is left");
    TestBed.await("the observer to see v1 healthy", Duration.ofSeconds(20), () -> "pass".equals(agent.status().getString("health")));
    assertEquals("idle", agent.status().getString("state"));
    assertEquals(1.0, agent.metric("odoo_agent_rollbacks_total{host=\"it-pgout\",reason=\"upgrade_failed\"}"));
    System.out.println("PostgresOutageDuringUpgradeIT: database away for " + outage.toSeconds() + " s; rolled back");
  }

  @Test
  void aDeployWhileTheDatabaseIsDownIsRefusedBeforeAnythingIsStopped() throws Exception {
    odoo = new OdooFixture("it-pgout", "it_pgout", 18076, false).fresh("v1").start("v1");
    String before = docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", odoo.name).strip();
    agent = new AgentProcess("pgout", odoo, 19086, 19096).start();
    postgres("stop");
    JsonObject d = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(60));
    postgres("start");

    assertEquals("failed", d.getString("outcome"), d.encode());
    assertTrue(d.getString("reason").contains("cannot reach database it_pgout"), d.getString("reason"));
    assertTrue(d.getString("reason").endsWith("(nothing was changed)"), d.getString("reason"));
    assertEquals(before, docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", odoo.name).strip(), "Odoo was not touched");
    assertFalse(agent.status().getBoolean("deploy_in_progress"));
  }
}
