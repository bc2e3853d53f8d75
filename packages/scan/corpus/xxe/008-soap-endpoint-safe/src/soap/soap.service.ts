import { Body, Controller, Header, Injectable, Post } from '@nestjs/common';
import { parseXml } from 'libxmljs';

@Injectable()
export class SoapService {
  handle(envelope: string): string {
    const doc = parseXml(envelope, { noent: false, nonet: true });
    const op = doc.get('//*[local-name()="Body"]/*')?.name() ?? 'unknown';
    return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ok op="${op}"/></soap:Body></soap:Envelope>`;
  }
}

@Controller('soap')
export class SoapController {
  constructor(private readonly soap: SoapService) {}

  @Post()
  @Header('content-type', 'text/xml')
  call(@Body() envelope: string) {
    return this.soap.handle(envelope);
  }
}
