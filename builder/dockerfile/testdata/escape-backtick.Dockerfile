# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
WORKDIR C:\app
COPY . C:\app\
RUN dir `
    /s
ENV GREETING="hello `$NAME"
CMD ["cmd", "/S", "/C", "type C:\\app\\README"]
