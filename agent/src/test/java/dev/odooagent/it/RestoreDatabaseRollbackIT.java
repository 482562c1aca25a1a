package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Durable rollback with the database: the pre-upgrade copy of the last committed deploy is kept, and
 * {@code odoo-agent rollback --restore-database} puts it back, losing (as the CLI says first) the rows written since.
 */
class RestoreDatabaseRollbackIT extends OneOdooScenario {
  @Test
  void rollbackWithRestoreDatabasePutsBackTheSchemaAndRowsOfBeforeTheUpgrade() throws Exception {
    odoo = new OdooFixture("it-restore", "it_restore", 18075, false).fresh("v1").start("v1");
    String schema = TestBed.schema(odoo.database);
    agent = new AgentProcess("restore", odoo, 19085, 19095).set("deploy.keep_copy", "1h").start();

    JsonObject up = agent.awaitVerdict(agent.deploy(new JsonObject().put("tag", "v2")), Duration.ofSeconds(90));
    assertEquals("success", up.getString("outcome"), up.encode());
    assertEquals(OdooFixture.V2_MODULES, odoo.customModules());
    assertEquals(1, odoo.copies().size(), "the pre-upgrade copy is kept: " + odoo.copies());
    TestBed.psql(odoo.database, "CREATE TABLE it_after_commit (id int); INSERT INTO it_after_commit VALUES (1)");

    TestBed.Result r = agent.cli("rollback", "--restore-database");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("database: puts back the database and filestore as they were at"), r.out());
    assertTrue(r.out().contains("every row and file written since then is lost"), r.out());
    TestBed.await("the rollback's verdict", Duration.ofSeconds(90),
        () -> agent.history().size() == 2 && !agent.status().getBoolean("deploy_in_progress"));
    JsonObject back = agent.history().getJsonObject(0);
    assertEquals("success", back.getString("outcome"), back.encode());

    assertEquals(odoo.startedDigest, odoo.runningDigest(), "v1 serves again");
    assertEquals(OdooFixture.V1_MODULES, odoo.customModules(), "the module versions of before the upgrade");
    assertEquals(schema, TestBed.schema(odoo.database), "the schema of before the upgrade: the row written since is gone");
    assertEquals(List.of(), odoo.copies(), "the kept copy became the database, and the pre-restore copy was dropped");
    assertEquals(1.0, agent.metric("odoo_agent_rollbacks_total{host=\"it-restore\",reason=\"manual\"}"));
  }
}
