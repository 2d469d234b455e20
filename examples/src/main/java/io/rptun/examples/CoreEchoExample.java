package io.rptun.examples;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.sim.RemoteServices;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An echo server and client on the core API, in two JVMs: {@code ./rptun example core-echo}.
 * The server is a {@link RemoteServices} class the remote JVM loads; the client is a host endpoint that
 * binds to it by name.
 */
public final class CoreEchoExample {
    /** The service's name. */
    public static final String SERVICE = "core-echo";

    private CoreEchoExample() {
    }

    /** The server, on the remote: every message goes back to its sender, upper-cased. */
    public static final class Server implements RemoteServices {
        @Override
        public void register(RpmsgDevice device) {
            device.createEndpoint(SERVICE, (ep, msg) ->
                    ep.sendTo(msg.src(), msg.asString().toUpperCase().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Runs the client against a server in a second JVM; returns 0 when every echo came back. */
    public static int run(PrintWriter out) throws InterruptedException {
        try (ExampleLink link = ExampleLink.start("core-echo", Server.class)) {
            BlockingQueue<String> replies = new LinkedBlockingQueue<>();
            RpmsgEndpoint client = link.device().createEndpoint(SERVICE, (ep, msg) -> replies.add(msg.asString()));
            if (!client.awaitBound(Duration.ofSeconds(10))) {
                out.println("core-echo: the remote never announced " + SERVICE);
                return 1;
            }
            out.printf("core-echo: bound 0x%x -> 0x%x over %s%n", client.address(), client.destination(), link.file());
            String[] words = {"hello", "from", "the", "core", "api"};
            for (String w : words) {
                client.send(w.getBytes(StandardCharsets.UTF_8));
            }
            for (String w : words) {
                String reply = replies.poll(10, TimeUnit.SECONDS);
                out.println("core-echo: sent '" + w + "', got '" + reply + "'");
                if (!w.toUpperCase().equals(reply)) {
                    return 1;
                }
            }
            return 0;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(new PrintWriter(System.out, true)));
    }
}
