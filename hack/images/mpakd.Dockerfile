# mpakd from scratch: one static binary, CA certificates for https
# upstreams, an empty /tmp, no shell. Built by hack/images/build.sh with the
# classic builder (no image can be pulled here).
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 tmp /tmp
COPY --chown=65532:65532 data /data
COPY mpakd /mpakd
USER 65532:65532
EXPOSE 5000
VOLUME /data
HEALTHCHECK --interval=5s --timeout=3s --retries=3 CMD ["/mpakd", "healthcheck", "--url", "http://127.0.0.1:5000"]
ENTRYPOINT ["/mpakd"]
# Open to anyone who reaches the port, said out loud: a real deployment
# passes --auth-htpasswd (and --auth-policy) instead, see the README.
CMD ["serve", "--addr", "0.0.0.0:5000", "--data", "/data", "--insecure-no-auth"]
