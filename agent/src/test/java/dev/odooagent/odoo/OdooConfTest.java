package dev.odooagent.odoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OdooConfTest {
  private static final String CONF = """
      [options]
      ; written by the image's entrypoint
      # a comment with workers = 99
      db_host = 172.31.250.1
      db_port = 5432
      db_user = odoo
      db_password = pg-s3cret
      admin_passwd = $pbkdf2-sha512$600000$abc
      smtp_password = mail-s3cret
      addons_path = /mnt/extra-addons,/usr/lib/python3/dist-packages/odoo/addons
      data_dir = /var/lib/odoo-data
      workers=4
      max_cron_threads = 1
      db_maxconn = 16
      limit_memory_soft = 1073741824
      limit_memory_hard = 1342177280
      http_port = 8169
      proxy_mode = True
      dbfilter = ^%d$

      [queue_job]
      workers = 12
      channels = root:2
      """;

  @Test
  void parsesTheOptionsSection() {
    OdooConf c = OdooConf.parse(CONF);
    assertEquals(new OdooConf(4, 1, 16, 1073741824L, 1342177280L, 8169, true, "/var/lib/odoo-data"), c);
  }

  @Test
  void absentKeysTakeOdoosDefaults() {
    assertEquals(new OdooConf(0, 2, 64, 2048L * 1024 * 1024, 2560L * 1024 * 1024, 8069, false, "/var/lib/odoo"),
        OdooConf.parse("[options]\ndb_host = db\n"));
    assertEquals(OdooConf.parse(""), OdooConf.parse("[options]\n"));
  }

  @Test
  void unparsableNumbersFallBackToTheDefault() {
    OdooConf c = OdooConf.parse("[options]\nworkers = four\nlimit_memory_soft = 2G\nproxy_mode = yes\n");
    assertEquals(0, c.workers());
    assertEquals(2048L * 1024 * 1024, c.limitMemorySoft());
    assertFalse(c.proxyMode());
  }

  @Test
  void keysOutsideOptionsAndCommentedOutAreIgnored() {
    OdooConf c = OdooConf.parse("workers = 7\n[options]\n#workers = 5\n;workers = 6\n[queue_job]\nworkers = 12\n");
    assertEquals(0, c.workers(), "only [options] counts, and only uncommented lines");
  }

  @Test
  void valuesKeepEverythingAfterTheFirstEquals() {
    assertEquals("^%d$", OdooConf.options(CONF).get("dbfilter"));
    assertEquals("a=b", OdooConf.options("[options]\nlog_handler = a=b\n").get("log_handler"));
  }

  @Test
  void secretsAreNeverKept() {
    Map<String, String> o = OdooConf.options(CONF);
    assertFalse(o.containsKey("db_password"));
    assertFalse(o.containsKey("admin_passwd"));
    assertFalse(o.containsKey("smtp_password"));
    assertTrue(o.containsKey("db_host"));
    String shown = o + " " + OdooConf.parse(CONF);
    for (String secret : List.of("pg-s3cret", "pbkdf2", "mail-s3cret")) {
      assertFalse(shown.contains(secret), secret);
    }
  }

  @Test
  void configPathComesFromTheCommandThenOdooRcThenTheDefault() {
    Map<String, String> rc = Map.of("ODOO_RC", "/etc/odoo/from-env.conf");
    assertEquals("/etc/a.conf", OdooConf.pathFrom(List.of("odoo", "-c", "/etc/a.conf", "--workers", "2"), rc));
    assertEquals("/etc/b.conf", OdooConf.pathFrom(List.of("odoo", "--config", "/etc/b.conf"), rc));
    assertEquals("/etc/c.conf", OdooConf.pathFrom(List.of("odoo", "--config=/etc/c.conf"), rc));
    assertEquals("/etc/odoo/from-env.conf", OdooConf.pathFrom(List.of("odoo", "--workers", "2"), rc));
    assertEquals("/etc/odoo/from-env.conf", OdooConf.pathFrom(List.of("odoo", "-c"), rc), "-c without a value is not a path");
    assertEquals(OdooConf.DEFAULT_PATH, OdooConf.pathFrom(List.of("odoo"), Map.of()));
    assertEquals(OdooConf.DEFAULT_PATH, OdooConf.pathFrom(List.of("odoo"), Map.of("ODOO_RC", " ")));
    assertEquals("/etc/odoo/odoo.conf", OdooConf.DEFAULT_PATH);
  }

  @Test
  void countsOnlyHttpWorkers() {
    List<String> ps = List.of(
        "/usr/bin/python3 /usr/bin/odoo -c /etc/odoo/odoo.conf",
        "odoo: WorkerHTTP (4101)",
        "odoo: WorkerHTTP (4102)",
        "odoo: WorkerCron (4103)",
        "odoo: GeventServer (4104)",
        "sh -c echo odoo: WorkerHTTP",
        "odoo: WorkerHTTP (4105)");
    assertEquals(3, OdooConf.countHttpWorkers(ps));
    assertEquals(0, OdooConf.countHttpWorkers(List.of()));
  }
}
