package io.rptun.reactive;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The README's reactive example, as written there, over a simulated link in this JVM. */
class ReadmeReactiveExampleTest {
    @Test
    @Timeout(60)
    void theReadmeExampleRuns() {
        SimOptions options = SimOptions.defaults("readme").withPath(SimFile.shmPath("rptun-readme-" + UUID.randomUUID()));
        try (Rptun host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults());
                SimRemote remote = SimRemote.start(options, true, false, List.of())) {
            host.start();
            // ---- as in the README
            RpmsgReactive rpmsg = RpmsgReactive.create(host);
            RpmsgChannel echo = rpmsg.open("rptun-echo", Duration.ofSeconds(5)).block();
            Mono<List<String>> replies = echo.receive()
                    .map(RpmsgMessage::asString)
                    .take(3)
                    .collectList();
            echo.sendBytes(Flux.just("a", "b", "c").map(s -> s.getBytes(UTF_8))).then().block();
            List<String> got = replies.block();
            echo.close().block();
            // ----
            assertThat(got).containsExactly("a", "b", "c");
        }
    }
}
