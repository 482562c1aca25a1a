package dev.odooagent.it;

import org.junit.jupiter.api.AfterEach;

/** A scenario around one stand-in Odoo and one agent process: both are stopped and removed after each test. */
abstract class OneOdooScenario {
  OdooFixture odoo;
  AgentProcess agent;

  @AfterEach
  void down() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    if (odoo != null) {
      odoo.close();
    }
  }
}
