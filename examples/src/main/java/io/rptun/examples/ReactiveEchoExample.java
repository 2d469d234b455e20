package io.rptun.examples;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.RemoteServices;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An echo server and client on the reactive API, in two JVMs: {@code ./rptun example reactive-echo}.
 * The server uses {@link RpmsgReactive#serve}; the client opens a channel, sends a {@code Flux} and
 * collects the replies from {@code receive()}.
 */
public final class ReactiveEchoExample {
    /** The service's name. */
    public static final String SERVICE = "reactive-echo";

    private ReactiveEchoExample() {
    }

    /** The server, on the remote: a request/response service answering each message reversed. */
    public static final class Server implements RemoteServices {
        @Override
        public void register(RpmsgDevice device) {
            RpmsgReactive.create(device).serve(SERVICE, msg -> Mono.just(
                    new StringBuilder(msg.asString()).reverse().toString().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Runs the client against a server in a second JVM; returns 0 when every reply came back in order. */
    public static int run(PrintWriter out) {
        try (ExampleLink link = ExampleLink.start("reactive-echo", Server.class)) {
            RpmsgReactive rpmsg = RpmsgReactive.create(link.host());
            RpmsgChannel channel = rpmsg.open(SERVICE, Duration.ofSeconds(10)).block();
            List<String> words = List.of("stressed", "drawer", "level", "reward");
            Mono<List<String>> replies = channel.receive().map(RpmsgMessage::asString).take(words.size()).collectList();
            channel.sendBytes(Flux.fromIterable(words).map(w -> w.getBytes(StandardCharsets.UTF_8))).then().block();
            List<String> got = replies.block(Duration.ofSeconds(10));
            for (int i = 0; i < words.size(); i++) {
                out.println("reactive-echo: sent '" + words.get(i) + "', got '" + got.get(i) + "'");
            }
            channel.close().block();
            boolean ok = got.equals(words.stream().map(w -> new StringBuilder(w).reverse().toString()).toList());
            return ok ? 0 : 1;
        }
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true)));
    }
}
