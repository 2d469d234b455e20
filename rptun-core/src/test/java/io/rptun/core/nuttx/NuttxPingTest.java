package io.rptun.core.nuttx;

import static io.rptun.core.nuttx.NuttxTestSupport.NUTTX_PAYLOAD;
import static io.rptun.core.nuttx.NuttxTestSupport.await;
import static io.rptun.core.nuttx.NuttxTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.nuttx.NuttxPingModel.Ping;
import io.rptun.core.nuttx.NuttxServiceException.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NuttxPing} against a model of NuttX's {@code rpmsg_ping.c}, in both roles, field by field. */
@Timeout(60)
class NuttxPingTest {

    @Test
    void theResponderAnswersANuttxRequesterWithTheSameBytesTheResponseCommandAndTheCookie() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            int[] lengths = {17, 18, 64, 1000, NUTTX_PAYLOAD};
            for (int i = 0; i < lengths.length; i++) {
                byte[] sent = NuttxPingModel.request(NuttxPingModel.ACK | NuttxPingModel.CHECK, lengths[i], 0xC0FFEE00L + i,
                        (byte) i);
                nuttx.endpoint.send(sent);
                Ping answer = take(nuttx.responses);
                assertThat(answer.cmd()).isEqualTo(0x20);
                assertThat(answer.len()).isEqualTo(lengths[i]);
                assertThat(answer.length()).isEqualTo(lengths[i]);
                assertThat(answer.cookie()).isEqualTo(0xC0FFEE00L + i);
                assertThat(Arrays.copyOfRange(answer.bytes(), 16, sent.length))
                        .isEqualTo(Arrays.copyOfRange(sent, 16, sent.length));
            }
            await("every answer counted", () -> ping.counters().answered() == lengths.length);
            assertThat(ping.counters().checked()).isEqualTo(lengths.length);
            assertThat(ping.counters().drops().total()).isZero();
        }
    }

    @Test
    void aRequestWithoutAckIsTakenAndNotAnsweredAndACheckedOneWithAWrongByteIsAnsweredAndCounted() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            nuttx.sendRequest(NuttxPingModel.CHECK, 64, 1, 5);
            byte[] wrong = NuttxPingModel.request(NuttxPingModel.ACK | NuttxPingModel.CHECK, 100, 2, (byte) 9);
            wrong[60] = 10;
            nuttx.endpoint.send(wrong);
            Ping answer = take(nuttx.responses);
            assertThat(answer.cookie()).as("the NOACK ping got no answer").isEqualTo(2);
            assertThat(answer.length()).isEqualTo(100);
            assertThat(answer.bytes()[60]).as("the bytes come back as they were").isEqualTo((byte) 10);
            assertThat(ping.counters().unanswered()).isEqualTo(1);
            assertThat(ping.counters().drops().count(Reason.BAD_DATA)).isEqualTo(1);
            // Without CHECK the same bytes are not looked at.
            nuttx.endpoint.send(NuttxPingModel.request(NuttxPingModel.ACK, 40, 3, (byte) 0));
            assertThat(take(nuttx.responses).cookie()).isEqualTo(3);
            assertThat(ping.counters().checked()).isEqualTo(1);
        }
    }

    @Test
    void shortMessagesWrongLengthFieldsAndUnknownCommandsNeverStopTheResponder() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            nuttx.endpoint.send(new byte[0]);
            nuttx.endpoint.send(Arrays.copyOf(NuttxPingModel.request(NuttxPingModel.ACK, 17, 4, (byte) 0), 16));
            // A len field that lies: the real length is answered, and the lie counted.
            byte[] lying = NuttxPingModel.request(NuttxPingModel.ACK | NuttxPingModel.CHECK, 30, 5, (byte) 1);
            NuttxTestSupport.le(lying).putInt(4, 5000);
            nuttx.endpoint.send(lying);
            Ping answer = take(nuttx.responses);
            assertThat(answer.cookie()).isEqualTo(5);
            assertThat(answer.length()).isEqualTo(30);
            assertThat(answer.len()).isEqualTo(30);
            // An unknown command with ACK gets a bare 17-byte response, as NuttX gives one.
            nuttx.endpoint.send(NuttxPingModel.request(0x10 | NuttxPingModel.ACK, 200, 6, (byte) 0));
            answer = take(nuttx.responses);
            assertThat(answer.cookie()).isEqualTo(6);
            assertThat(answer.length()).isEqualTo(17);
            assertThat(answer.len()).isEqualTo(17);
            assertThat(answer.cmd()).isEqualTo(0x20);
            // A response nobody asked for.
            nuttx.endpoint.send(NuttxPingModel.request(0x20, 17, 7, (byte) 0));
            await("the stray response counted", () -> ping.counters().drops().count(Reason.UNEXPECTED_RESPONSE) == 1);
            assertThat(ping.counters().drops().count(Reason.SHORT_MESSAGE)).isEqualTo(2);
            assertThat(ping.counters().drops().count(Reason.BAD_LENGTH)).isEqualTo(1);
            assertThat(ping.counters().drops().count(Reason.UNKNOWN_COMMAND)).isEqualTo(1);
            // Still serving.
            nuttx.sendRequest(NuttxPingModel.ACK | NuttxPingModel.CHECK, 64, 8, 3);
            assertThat(take(nuttx.responses).cookie()).isEqualTo(8);
        }
    }

    @Test
    void theRequesterSendsWhatNuttxSendsAndMatchesEachAnswerByItsCookie() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            List<Integer> seen = new ArrayList<>();
            PingResult r = ping.ping(PingRequest.of(300, 64, NuttxPing.ACK | NuttxPing.CHECK, Duration.ZERO),
                    (i, len, nanos, ok) -> {
                        assertThat(ok).isTrue();
                        seen.add(i);
                    });
            assertThat(r.times()).isEqualTo(300);
            assertThat(r.answered()).isEqualTo(300);
            assertThat(r.mismatched()).isZero();
            assertThat(r.bufferLength()).isEqualTo(NUTTX_PAYLOAD);
            assertThat(r.lastLength()).isEqualTo(64);
            assertThat(r.bytes()).isEqualTo(300 * 64);
            assertThat(r.min()).isLessThanOrEqualTo(r.avg());
            assertThat(r.avg()).isLessThanOrEqualTo(r.max());
            assertThat(r.rateMbits()).isPositive();
            assertThat(seen).hasSize(300);
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < 300; i++) {
                Ping p = nuttx.requests.get(i);
                assertThat(p.cmd()).isEqualTo(NuttxPingModel.ACK | NuttxPingModel.CHECK);
                assertThat(p.len()).isEqualTo(64);
                assertThat(p.length()).isEqualTo(64);
                assertThat(p.filledWith((byte) i)).as("ping %d is filled with its counter byte", i).isTrue();
                cookies.add(p.cookie());
            }
            assertThat(cookies).as("every cookie is unique").hasSize(300);
            assertThat(nuttx.dataErrors).isZero();
        }
    }

    @Test
    void randomLengthsStayBelowTheGivenLengthAndNeverUnderSeventeenBytes() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            PingResult r = ping.ping(PingRequest.of(400, 40,
                    NuttxPing.ACK | NuttxPing.CHECK | NuttxPing.RANDOMLEN, Duration.ZERO));
            assertThat(r.mismatched()).isZero();
            assertThat(nuttx.requests).hasSize(400).allSatisfy(p -> {
                assertThat(p.length()).isBetween(17, 39);
                assertThat(p.len()).isEqualTo(p.length());
                assertThat(p.cmd()).isEqualTo(7);
            });
            assertThat(nuttx.requests).extracting(Ping::length).as("17 (nrand below 17) and other lengths")
                    .contains(17).anyMatch(n -> n > 17);
        }
    }

    @Test
    void lengthsAreRaisedToSeventeenAndCutToTheBufferAndWithoutAckNothingIsAwaited() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            assertThat(ping.ping(PingRequest.of(1, 0, NuttxPing.ACK, Duration.ZERO)).lastLength()).isEqualTo(17);
            assertThat(ping.ping(PingRequest.of(1, 100_000, NuttxPing.ACK, Duration.ZERO)).lastLength())
                    .isEqualTo(NUTTX_PAYLOAD);
            nuttx.answering = false;
            PingResult r = ping.ping(PingRequest.of(5, 30, NuttxPing.CHECK, Duration.ofMillis(1)));
            assertThat(r.answered()).isZero();
            await("five unanswered pings arrived", () -> nuttx.requests.size() == 7);
            assertThat(nuttx.requests.subList(2, 7)).allSatisfy(p -> {
                assertThat(p.cmd()).isEqualTo(NuttxPingModel.CHECK);
                assertThat(p.length()).isEqualTo(30);
            });
            assertThat(nuttx.requests.get(0).length()).isEqualTo(17);
            assertThat(nuttx.requests.get(0).filledWith((byte) 0)).isTrue();
            assertThat(nuttx.requests.get(1).length()).isEqualTo(NUTTX_PAYLOAD);
            assertThat(nuttx.responses).isEmpty();
        }
    }

    @Test
    void aPeerThatNeverAnswersEndsThePingWithNoAnswerAndALateAnswerIsCountedNotTaken() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            nuttx.answering = false;
            assertThatThrownBy(() -> ping.ping(PingRequest.of(1, 32, NuttxPing.ACK, Duration.ZERO)
                    .withAnswerTimeout(Duration.ofMillis(200))))
                    .isInstanceOfSatisfying(NuttxServiceException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NO_ANSWER));
            Ping late = nuttx.requests.getFirst();
            byte[] answer = late.bytes().clone();
            NuttxTestSupport.le(answer).putInt(0, 0x20);
            nuttx.endpoint.send(answer);
            await("the late answer counted", () -> ping.counters().drops().count(Reason.UNEXPECTED_RESPONSE) == 1);
            assertThat(ping.counters().responses()).isZero();
        }
    }

    @Test
    void anAnswerThatIsNotTheEchoOfItsPingIsCountedAsMismatched() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            nuttx.answering = false;
            // A peer that answers every ping with the right cookie but a shorter message.
            Thread peer = Thread.ofPlatform().daemon().start(() -> {
                for (int i = 0; i < 3; i++) {
                    await("ping " + i, () -> !nuttx.requests.isEmpty());
                    Ping p = nuttx.requests.removeFirst();
                    byte[] answer = Arrays.copyOf(p.bytes(), p.length() - 1);
                    NuttxTestSupport.le(answer).putInt(0, 0x20).putInt(4, answer.length);
                    nuttx.endpoint.send(answer);
                }
            });
            PingResult r = ping.ping(PingRequest.of(3, 50, NuttxPing.ACK | NuttxPing.CHECK, Duration.ZERO));
            peer.join();
            assertThat(r.answered()).isEqualTo(3);
            assertThat(r.mismatched()).isEqualTo(3);
            assertThat(ping.counters().drops().count(Reason.BAD_DATA)).isEqualTo(3);
        }
    }

    @Test
    void pipelinedPingsAreAllAnsweredAndAPingBeforeThePeerIsKnownIsRefused() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing ping = NuttxPing.open(loop.host())) {
            assertThatThrownBy(() -> ping.ping(PingRequest.of(1, 17, NuttxPing.ACK, Duration.ZERO)))
                    .isInstanceOfSatisfying(NuttxServiceException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_BOUND));
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ping.endpoint(), nuttx.endpoint);
            assertThat(ping.pipelined(2000, 64, NuttxTestSupport.WAIT)).isEqualTo(2000);
            assertThat(ping.counters().drops().total()).isZero();
        }
    }

    @Test
    void aResponderAloneAnswersLikeTheServiceAndCountsAnswersAsUnexpected() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            NuttxPing.Counters counters = new NuttxPing.Counters();
            var ep = loop.host().createEndpoint(NuttxPing.NAME, NuttxPing.responder(counters));
            NuttxPingModel nuttx = new NuttxPingModel(loop.remote());
            NuttxTestSupport.awaitBound(ep, nuttx.endpoint);
            nuttx.sendRequest(NuttxPingModel.ACK, 20, 11, 0);
            assertThat(take(nuttx.responses).cookie()).isEqualTo(11);
            nuttx.endpoint.send(NuttxPingModel.request(0x20, 17, 12, (byte) 0));
            await("counted", () -> counters.drops().count(Reason.UNEXPECTED_RESPONSE) == 1
                    && counters.answered() == 1);
        }
    }
}
