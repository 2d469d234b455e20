package io.rptun.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.RemoteServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The extension as a user's test would use it: a small request/response service tested against the link. */
@ExtendWith(RptunLinkExtension.class)
@Timeout(120)
class RptunLinkExtensionTest {
    private static final List<Path> FILES = new ArrayList<>();

    /** The "firmware" side of a tiny protocol: answers "ping N" with "pong N". */
    public static final class PongService implements RemoteServices {
        @Override
        public void register(RpmsgDevice device) {
            device.createEndpoint("pong", (ep, msg) -> ep.sendTo(msg.src(),
                    msg.asString().replace("ping", "pong").getBytes(StandardCharsets.UTF_8)));
        }
    }

    @AfterAll
    static void everyLinkIsGone() {
        assertThat(FILES).isNotEmpty().allSatisfy(p -> assertThat(p).doesNotExist());
    }

    @Test
    @RptunLink(services = PongService.class, echo = false, sink = false)
    void aServiceAnswersThroughTheReactiveApi(RpmsgReactive rpmsg, TestLink link, Rptun host) {
        FILES.add(link.file());
        assertThat(host.state()).isEqualTo(RptunState.RUNNING);
        RpmsgChannel pong = rpmsg.open("pong").block(Duration.ofSeconds(20));
        StepVerifier.create(pong.receive().map(m -> m.asString()).take(3))
                .then(() -> pong.sendBytes(Flux.range(0, 3).map(i -> ("ping " + i).getBytes(StandardCharsets.UTF_8)))
                        .then().block(Duration.ofSeconds(20)))
                .expectNext("pong 0", "pong 1", "pong 2")
                .verifyComplete();
    }

    @Test
    @RptunLink(transport = Transport.IN_PROCESS)
    void theRemotesDeviceIsInjectedToo(RpmsgDevice host, @Remote RpmsgDevice remote) throws Exception {
        assertThat(remote).isNotSameAs(host);
        TestLinksTest.echoes(host, 5);
    }
}
