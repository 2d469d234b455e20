package io.rptun.core.rpmsg;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RpmsgEchoTest {
    @Test
    @Timeout(60)
    void aHostEndpointBindsToTheRemoteServiceByNameAndGetsItsEchoBack() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgEndpoint service = loop.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.toByteArray()));
            BlockingQueue<String> replies = new LinkedBlockingQueue<>();
            RpmsgEndpoint client = loop.host().createEndpoint("echo", (ep, msg) -> replies.add(msg.asString()));
            assertThat(client.awaitBound(RpmsgTestSupport.WAIT)).isTrue();
            assertThat(service.awaitBound(RpmsgTestSupport.WAIT)).isTrue();
            assertThat(client.destination()).isEqualTo(service.address());
            assertThat(service.destination()).isEqualTo(client.address());
            for (int i = 0; i < 1000; i++) {
                client.send(("hello " + i).getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 1000; i++) {
                assertThat(replies.poll(RpmsgTestSupport.WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hello " + i);
            }
            System.out.println(loop.host().dump());
            System.out.println(loop.remote().dump());
        }
    }
}
