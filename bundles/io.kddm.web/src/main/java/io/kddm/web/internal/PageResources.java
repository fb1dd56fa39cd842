package io.kddm.web.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardResource;

/** The page's script and style sheet: this bundle's {@code /static} folder at {@code /cluster/static/*}. */
@Component(service = PageResources.class)
@HttpWhiteboardResource(pattern = "/cluster/static/*", prefix = "/static")
public final class PageResources {
}
