import ChatService
import DouyinHost

await ServiceMain.run(.chat, ChatService.run(config:))
