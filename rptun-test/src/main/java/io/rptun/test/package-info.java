/**
 * Loopback links for tests of code that talks rpmsg: the JVM side of a protocol a team's firmware speaks,
 * tested without the board.
 *
 * <ul>
 * <li>{@link TestLinks}: a connected pair in one line, per transport: {@link Transport#IN_PROCESS} (both
 * devices over one memory segment, no lifecycle), {@link Transport#SIM_FILE} (a host {@code Rptun} over a
 * {@code /dev/shm} file with the remote in this JVM), {@link Transport#CHILD_JVM} (the remote in a second
 * JVM). Each {@link TestLink} is {@link AutoCloseable}: threads, files and child processes are gone after
 * {@code close()}, also when the test failed.</li>
 * <li>{@link RptunLinkExtension}: the same as a JUnit 5 extension, injecting a {@link TestLink}, the host's
 * {@code Rptun}, its {@code RpmsgDevice}, the remote's ({@link Remote}) or an {@code RpmsgReactive}, closed
 * after each test.</li>
 * <li>Faults: {@link TestLink#killRemote()} makes the remote vanish without a word, as a crash does;
 * {@link TestLink#stallRemote()} makes it stop reading until the stall is closed;
 * {@link TestLink#sendCorrupted} has it send one message that is damaged on its way ({@link Corruption}: a
 * {@code hdr.len} past its buffer, a wrong {@code hdr.dst}, a flipped payload byte), so a test can see the
 * host drop it for a counted reason and go on serving.</li>
 * <li>Models of the real peers, to test against "a NuttX proxy" or "an OpenAMP host" without building
 * either: {@code io.rptun.test.nuttx} and {@code io.rptun.test.openamp}.</li>
 * </ul>
 *
 * <h2>Reactor's virtual time does not reach the rings</h2>
 * {@code StepVerifier.withVirtualTime} moves Reactor's clock, not the peer: messages cross real shared
 * memory on real threads. Use {@code StepVerifier.create(flux, 0).thenRequest(n)} with
 * {@code expectNextCount}, {@code thenAwait} only for work in your own operators, and a real
 * {@code verify(Duration)} as the deadline; for "nothing more arrives", {@code expectNoEvent} with a short
 * real duration.
 */
@NullMarked
package io.rptun.test;

import org.jspecify.annotations.NullMarked;
