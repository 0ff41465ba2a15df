# The reference registry: distribution/v3 (hack/images/registry) from
# scratch, configured by /etc/registry/config.yml (mount your own for
# htpasswd or notifications).
FROM scratch
COPY --chown=65532:65532 tmp /tmp
COPY --chown=65532:65532 data /var/lib/registry
COPY registry /registry
COPY config.yml /etc/registry/config.yml
USER 65532:65532
EXPOSE 5000
VOLUME /var/lib/registry
ENTRYPOINT ["/registry"]
CMD ["/etc/registry/config.yml"]
