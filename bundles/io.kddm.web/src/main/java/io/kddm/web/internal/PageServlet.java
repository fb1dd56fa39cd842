package io.kddm.web.internal;

import java.io.IOException;
import java.io.InputStream;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code /cluster}: the page itself, a static file of this bundle; its script
 * and style sheet are {@link PageResources}. Nothing is fetched from elsewhere.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/cluster")
@HttpWhiteboardServletName("kddm-cluster-page")
public final class PageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try (InputStream in = PageServlet.class.getResourceAsStream("/static/index.html")) {
            if (in == null) {
                response.sendError(500, "index.html missing from the bundle");
                return;
            }
            byte[] page = in.readAllBytes();
            response.setContentType("text/html;charset=utf-8");
            response.setHeader("Cache-Control", "no-cache");
            response.setContentLength(page.length);
            response.getOutputStream().write(page);
        }
    }
}
