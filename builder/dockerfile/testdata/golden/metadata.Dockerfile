FROM scratch
ENV APP_HOME=/srv/app MODE=prod
ENV LEGACY value with spaces
ARG VERSION=1.0
ARG FLAVOR
ARG UNSET
LABEL org.opencontainers.image.version=$VERSION "flavor"="${FLAVOR:-plain}" empty=""
MAINTAINER Jane Doe <jane@example.com>
EXPOSE 80 443/TCP 53/udp 8000-8002
VOLUME ["/data", "/cache"]
VOLUME /logs
WORKDIR $APP_HOME
WORKDIR sub/dir
USER ${USER_NAME:-app}:app
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
CMD echo "$MODE" && exec server
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD curl -f http://localhost/ || exit 1
STOPSIGNAL SIGQUIT
ONBUILD RUN echo building on top
ONBUILD COPY . /src
