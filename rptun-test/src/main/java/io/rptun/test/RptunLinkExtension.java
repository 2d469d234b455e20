package io.rptun.test;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.RemoteServices;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * A JUnit 5 extension that gives each test a fresh {@link TestLink}, as {@link RptunLink} says, and closes it
 * after the test, whether it passed or not. Parameters it fills: {@link TestLink}, {@link Rptun} (the
 * host's), {@link RpmsgDevice} (the host's; the remote's with {@link Remote}), {@link RpmsgReactive} (the
 * host's). All parameters of one test share one link.
 *
 * <pre>{@code
 * @ExtendWith(RptunLinkExtension.class)
 * class MyServiceTest {
 *     @Test
 *     @RptunLink(transport = Transport.SIM_FILE, services = MyFirmwareModel.class)
 *     void answersAPing(RpmsgReactive rpmsg) { ... }
 * }
 * }</pre>
 */
public final class RptunLinkExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RptunLinkExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestLink.class || type == Rptun.class || type == RpmsgDevice.class
                || type == RpmsgReactive.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestLink link = link(context);
        Class<?> type = parameter.getParameter().getType();
        try {
            if (type == TestLink.class) {
                return link;
            }
            if (type == Rptun.class) {
                return link.host();
            }
            if (type == RpmsgReactive.class) {
                return link.reactive();
            }
            return parameter.isAnnotated(Remote.class) ? link.remoteDevice() : link.hostDevice();
        } catch (IllegalStateException e) {
            throw new ParameterResolutionException(parameter.getParameter() + ": " + e.getMessage(), e);
        }
    }

    private static TestLink link(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        return store.getOrComputeIfAbsent("link", key -> new Closing(make(context)), Closing.class).link;
    }

    private static TestLink make(ExtensionContext context) {
        Optional<RptunLink> spec = context.getTestMethod()
                .flatMap(m -> AnnotationSupport.findAnnotation(m, RptunLink.class))
                .or(() -> context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, RptunLink.class)));
        Transport transport = spec.map(RptunLink::transport).orElse(Transport.SIM_FILE);
        List<RemoteServices> services = new ArrayList<>();
        for (Class<? extends RemoteServices> c : spec.map(RptunLink::services).orElse(new Class[0])) {
            services.add(instantiate(c));
        }
        RemoteSide remote = new RemoteSide(spec.map(RptunLink::echo).orElse(true), spec.map(RptunLink::sink)
                .orElse(true), services);
        return TestLinks.of(transport, remote);
    }

    private static RemoteServices instantiate(Class<? extends RemoteServices> c) {
        try {
            return c.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new ParameterResolutionException(c.getName() + " needs a public no-argument constructor to be"
                    + " used in @RptunLink(services = ...)", e);
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new ParameterResolutionException("cannot make " + c.getName() + ": " + e, e);
        }
    }

    /** Closes the link when the test's store closes: after the test, passed or failed. */
    private record Closing(TestLink link) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            link.close();
        }
    }
}
