FROM scratch
SHELL ["/bin/bash", "-c"]
RUN echo shell form
RUN ["/bin/echo", "exec form"]
CMD echo "shell cmd"
ENTRYPOINT ["/entry"]
RUN [ "not", "json"
HEALTHCHECK --interval=5s CMD ["/bin/check"]
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a.tar.gz /a/
COPY --link --parents --exclude=*.tmp src/ /dst/
RUN --network=none --security=insecure true
