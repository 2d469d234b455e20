package io.rptun.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ReactiveOptions;
import io.rptun.reactive.ReceiveOverflow;
import io.rptun.reactive.RpmsgChannel;
import io.rptun.reactive.RpmsgReactive;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The channels' meters against a real in-process link: the remote's "numbers" answers "N" with N messages,
 * "echo" answers each message with itself.
 */
@Timeout(60)
class RpmsgReactiveMetricsTest {
    private RpmsgLoopback loop;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        loop = RpmsgLoopback.start(RpmsgLoopback.table(32, 256));
        loop.remote().createEndpoint("echo", (ep, msg) -> ep.send(msg.toByteArray()));
        loop.remote().createEndpoint("numbers", (ep, msg) -> {
            for (int i = 0; i < Integer.parseInt(msg.asString()); i++) {
                ep.send(Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            }
        });
    }

    @AfterEach
    void stop() {
        loop.close();
    }

    @Test
    void heldMessagesAreAGaugeAndDeliveredOnesACounterThatOutlivesTheChannel() {
        RpmsgReactive rpmsg = RpmsgReactive.create(loop.host());
        RpmsgReactiveMetrics metrics = new RpmsgReactiveMetrics(rpmsg, "cp");
        metrics.bindTo(registry);
        RpmsgChannel channel = rpmsg.open("numbers").map(metrics::track).block(Waiting.WAIT);
        assertThat(gauge(RpmsgReactiveMetrics.OPEN, "numbers")).isEqualTo(1);

        send(channel, "5"); // nobody reads yet: the channel holds them
        Waiting.until("five held", () -> channel.stats().held() == 5);
        assertThat(gauge(RpmsgReactiveMetrics.HELD, "numbers")).isEqualTo(5);
        assertThat(count(RpmsgReactiveMetrics.DELIVERED, "numbers")).isZero();

        StepVerifier.create(channel.receive().map(RpmsgMessage::asString).take(5))
                .expectNext("0", "1", "2", "3", "4").verifyComplete();
        assertThat(gauge(RpmsgReactiveMetrics.HELD, "numbers")).isZero();
        assertThat(count(RpmsgReactiveMetrics.DELIVERED, "numbers")).isEqualTo(5);

        channel.close().block(Waiting.WAIT);
        assertThat(gauge(RpmsgReactiveMetrics.OPEN, "numbers")).isZero();
        assertThat(count(RpmsgReactiveMetrics.DELIVERED, "numbers")).as("counted on after the close").isEqualTo(5);

        RpmsgChannel again = rpmsg.open("numbers").map(metrics::track).block(Waiting.WAIT);
        send(again, "2");
        StepVerifier.create(again.receive().take(2)).expectNextCount(2).verifyComplete();
        assertThat(count(RpmsgReactiveMetrics.DELIVERED, "numbers")).as("both channels of the name").isEqualTo(7);
        rpmsg.dispose();
    }

    @Test
    void aChannelThatPausesTheLinkIsCountedAndShownPausing() {
        RpmsgReactive rpmsg = RpmsgReactive.create(loop.host(),
                ReactiveOptions.defaults().withReceiveBound(2).withOverflow(ReceiveOverflow.PAUSE));
        RpmsgReactiveMetrics metrics = new RpmsgReactiveMetrics(rpmsg, "cp");
        metrics.bindTo(registry);
        RpmsgChannel channel = metrics.track(rpmsg.open("numbers").block(Waiting.WAIT));
        send(channel, "4"); // two held, then the link pauses for this receiver
        Waiting.until("the pause", () -> channel.stats().pausing());
        assertThat(gauge(RpmsgReactiveMetrics.PAUSING, "numbers")).isEqualTo(1);
        assertThat(count(RpmsgReactiveMetrics.PAUSES, "numbers")).isEqualTo(1);
        StepVerifier.create(channel.receive().take(4)).expectNextCount(4).verifyComplete();
        assertThat(gauge(RpmsgReactiveMetrics.PAUSING, "numbers")).isZero();
        assertThat(count(RpmsgReactiveMetrics.PAUSES, "numbers")).isEqualTo(1);
        rpmsg.dispose();
    }

    @Test
    void endpointNamesPastTheBoundShareOneTagValue() {
        RpmsgReactive rpmsg = RpmsgReactive.create(loop.host());
        RpmsgReactiveMetrics metrics = new RpmsgReactiveMetrics(rpmsg, "cp", 1, Tags.of("board", "b1"));
        metrics.bindTo(registry);
        metrics.track(rpmsg.open("echo").block(Waiting.WAIT));
        metrics.track(rpmsg.open("numbers").block(Waiting.WAIT));
        assertThat(registry.find(RpmsgReactiveMetrics.OPEN).gauges())
                .extracting(g -> g.getId().getTag(RpmsgReactiveMetrics.ENDPOINT_TAG))
                .containsExactlyInAnyOrder("echo", RpmsgReactiveMetrics.OTHER_ENDPOINTS);
        assertThat(gauge(RpmsgReactiveMetrics.OPEN, RpmsgReactiveMetrics.OTHER_ENDPOINTS)).isEqualTo(1);
        assertThat(registry.getMeters()).allSatisfy(m -> {
            assertThat(m.getId().getTag("link")).isEqualTo("cp");
            assertThat(m.getId().getTag("board")).isEqualTo("b1");
        });
        rpmsg.dispose();
    }

    @Test
    void aRegistryBoundAfterTheChannelsOpenedStillGetsTheirMeters() {
        RpmsgReactive rpmsg = RpmsgReactive.create(loop.host());
        RpmsgReactiveMetrics metrics = new RpmsgReactiveMetrics(rpmsg, "cp");
        RpmsgChannel channel = metrics.track(rpmsg.open("echo").block(Waiting.WAIT));
        metrics.track(channel); // twice: counted once
        metrics.bindTo(registry);
        assertThat(gauge(RpmsgReactiveMetrics.OPEN, "echo")).isEqualTo(1);
        assertThat(registry.get(RpmsgReactiveMetrics.LAYER_COPIED_BYTES).gauge().value()).isZero();
        rpmsg.dispose();
        assertThat(gauge(RpmsgReactiveMetrics.OPEN, "echo")).isZero();
    }

    private static void send(RpmsgChannel channel, String text) {
        channel.sendBytes(Mono.just(text.getBytes(StandardCharsets.UTF_8))).then().block(Waiting.WAIT);
    }

    private double gauge(String name, String endpoint) {
        return registry.get(name).tag(RpmsgReactiveMetrics.ENDPOINT_TAG, endpoint).gauge().value();
    }

    private double count(String name, String endpoint) {
        return registry.get(name).tag(RpmsgReactiveMetrics.ENDPOINT_TAG, endpoint).functionCounter().count();
    }
}
