package dev.odooagent.mqtt;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay to the broker that a test can cut (dropping every connection without an MQTT DISCONNECT, as
 * a crash or a network failure would) and hold down (refusing new connections until restored).
 */
final class TcpProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean down;
  private volatile boolean swallowFromClient;
  private volatile boolean closed;

  TcpProxy(String targetHost, int targetPort) throws IOException {
    this(InetAddress.getLoopbackAddress(), targetHost, targetPort);
  }

  /** A relay listening on the given local address, e.g. 127.0.0.2 to be reached under another name than the broker. */
  TcpProxy(InetAddress bind, String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, bind);
    Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Closes every relayed connection abruptly and refuses new ones until {@link #restore()}. */
  void cutAndHoldDown() {
    down = true;
    for (Socket s : sockets) {
      abort(s);
    }
    sockets.clear();
  }

  /** While on, bytes from the client are dropped, so the broker gets no PUBACK, ping or publish from it. */
  void swallowFromClient(boolean on) {
    swallowFromClient = on;
  }

  /** Accepts and relays connections again. */
  void restore() {
    down = false;
  }

  /** The number of client connections being relayed now. */
  int connections() {
    return sockets.size() / 2;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (down) {
        abort(client);
        continue;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(targetHost, targetPort), 5000);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        abort(client);
      }
    }
  }

  private void pump(Socket from, Socket to, boolean fromClient) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (fromClient && swallowFromClient) {
            continue;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side went away; the other is closed below
      } finally {
        abort(from);
        abort(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void abort(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    cutAndHoldDown();
  }
}
