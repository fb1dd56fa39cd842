package io.kddm.web.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code /cluster/api/*} on the node's HTTP whiteboard: the page's JSON
 * ({@link Api}). GET only: every other method is refused (405) by
 * {@link HttpServlet}, as the page changes nothing.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/cluster/api/*")
@HttpWhiteboardServletName("kddm-cluster-api")
public final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String NO_KDFS = new Json().object().put("available", false).endObject().toString();

    private final transient ClusterPage page;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile KdfsPanel kdfs;
    private final transient Api api;

    @Activate
    public ApiServlet(@Reference ClusterPage page) {
        this.page = page;
        this.api = new Api(page.model(), () -> {
            KdfsPanel k = kdfs;
            return k == null ? NO_KDFS : k.json();
        });
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Api.Reply reply = api.get(request.getPathInfo(), request::getParameter);
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        response.setStatus(reply.status());
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
